package org.ckaatlas.data;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists an ImageNet-style folder, {@code root/<label>/.../<image>}, through Hadoop's FileSystem API.
 * Image extensions match case-insensitively; hidden files and folders ('.' or '_' prefix) are skipped;
 * files directly under the root have no label and are skipped.
 *
 * <p>Symbolic links to folders, on local file systems (Hadoop's local listing follows them silently, so
 * {@code ln -s .. DATA/c00/loop} once turned 32 images into 1,312, mislabelled):
 * <ul>
 *   <li>a link to a folder inside the data root is not followed: that folder is listed under its own
 *       path, once, and a link to one of its own parents would be a loop;</li>
 *   <li>a link out of the data root is followed, as if the folder were there (data sets assembled from
 *       links to class folders elsewhere work), each real folder once: a second link to a folder already
 *       listed, or a loop out there, is not followed;</li>
 * </ul>
 * and each link not followed is a note (returned, or logged as a warning). Links to files are read as
 * files. Other file systems list links as links (HDFS has them disabled by default, object stores have
 * none): those are not followed, with a note.
 */
public final class ImageListing {
    private static final Logger LOG = LoggerFactory.getLogger(ImageListing.class);

    /** jpg, jpeg, png, bmp, gif; and webp when an ImageIO plug-in for it is on the classpath. */
    public static final Set<String> EXTENSIONS = ImageIO.getImageReadersBySuffix("webp").hasNext()
            ? Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp")
            : Set.of("jpg", "jpeg", "png", "bmp", "gif");

    private ImageListing() {}

    /**
     * Images under {@code root}, sorted by image_id; each folder link not followed is logged as a warning.
     * @throws IOException when root is not a folder
     */
    public static List<ImageRef> list(String root, Configuration conf) throws IOException {
        List<String> notes = new ArrayList<>();
        List<ImageRef> images = list(root, conf, notes);
        notes.forEach(note -> LOG.warn("--data {}: {}", root, note));
        return images;
    }

    /**
     * Images under {@code root}, sorted by image_id; adds to {@code notes} one line per folder link not
     * followed. @throws IOException when root is not a folder
     */
    public static List<ImageRef> list(String root, Configuration conf, List<String> notes) throws IOException {
        Path rootPath = new Path(root);
        FileSystem fs = rootPath.getFileSystem(conf);
        FileStatus rootStatus = fs.getFileStatus(rootPath);
        if (!rootStatus.isDirectory()) {
            throw new IOException(root + " is not a folder");
        }
        String prefix = rootStatus.getPath().toUri().getPath();
        prefix = prefix.endsWith("/") ? prefix : prefix + "/";
        Walk walk = new Walk(fs, prefix, notes);
        walk.visited.add(walk.realRoot);
        walk.walk(rootStatus.getPath());
        walk.images.sort(Comparator.comparing(ImageRef::imageId));
        return walk.images;
    }

    public static boolean isImageName(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** One listing: where it is, what it found, which real folders it has been in. */
    private static final class Walk {
        private final FileSystem fs;
        private final String prefix;
        private final List<String> notes;
        private final boolean local;
        /** The root with every link resolved (local), else as given. */
        private final String realRoot;
        private final Set<String> visited = new HashSet<>();
        private final List<ImageRef> images = new ArrayList<>();

        Walk(FileSystem fs, String prefix, List<String> notes) throws IOException {
            this.fs = fs;
            this.prefix = prefix;
            this.notes = notes;
            this.local = fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
            String root = prefix.substring(0, prefix.length() - 1);
            this.realRoot = local ? java.nio.file.Path.of(root).toRealPath().toString() : root;
        }

        /**
         * A listStatus walk, not {@code listFiles(recursive)}: the latter builds a LocatedFileStatus per file,
         * which on the local file system without Hadoop's native library forks a shell to read permissions,
         * ~10 ms a file (8 minutes for ImageNet's 50,000).
         */
        void walk(Path dir) throws IOException {
            FileStatus[] entries = fs.listStatus(dir);
            // by name, so that which of two links to one folder is followed does not depend on the listing order
            java.util.Arrays.sort(entries, Comparator.comparing(e -> e.getPath().getName()));
            for (FileStatus status : entries) {
                Path path = status.getPath();
                String name = path.getName();
                if (name.startsWith(".") || name.startsWith("_")) {
                    continue;
                }
                String relative = path.toUri().getPath().substring(prefix.length());
                if (status.isSymlink()) {
                    notes.add(relative + ": a symbolic link on " + fs.getScheme() + ": not followed");
                    continue;
                }
                if (status.isDirectory()) {
                    if (follow(path, relative)) {
                        walk(path);
                    }
                    continue;
                }
                String[] parts = relative.split("/");
                if (parts.length >= 2 && isImageName(name)) {
                    images.add(new ImageRef(relative, parts[0], path.toUri().toString()));
                }
            }
        }

        /**
         * Whether to list this folder: on local file systems each real folder once, and a link only when it
         * leads out of the root (inside, its target is listed under its own path, or is one of its parents).
         */
        private boolean follow(Path dir, String relative) throws IOException {
            if (!local) {
                return true;
            }
            java.nio.file.Path nio = java.nio.file.Path.of(dir.toUri().getPath());
            String real = nio.toRealPath().toString();
            if (Files.isSymbolicLink(nio) && (real.equals(realRoot) || real.startsWith(realRoot + "/"))) {
                String target = real.equals(realRoot) ? "." : real.substring(realRoot.length() + 1);
                notes.add(relative + ": a link to '" + target + "' inside --data: not followed (that folder is listed under its own path)");
                return false;
            }
            if (!visited.add(real)) {
                notes.add(relative + ": leads to " + real + ", already listed: not followed again");
                return false;
            }
            return true;
        }
    }
}
