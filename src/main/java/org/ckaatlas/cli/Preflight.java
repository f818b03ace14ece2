package org.ckaatlas.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ckaatlas.data.ImageListing;

/**
 * Checks of {@code run}'s flags that need no Spark: each returns null when the value is fine, else the
 * one line that says what is wrong, so a bad value costs a second instead of a Spark start and a stack
 * trace, and nothing is written.
 */
final class Preflight {
    /** What Spark 3.5's SparkContext.createTaskScheduler accepts (plus yarn, k8s:// and mesos://, handled by spark-submit). */
    private static final Pattern MASTER = Pattern.compile(
            "local|local\\[(\\*|[1-9][0-9]*)(\\s*,\\s*[0-9]+)?]|local-cluster\\[\\s*[0-9]+\\s*,\\s*[0-9]+\\s*,\\s*[0-9]+\\s*]"
                    + "|spark://.+|yarn|k8s://.+|mesos://.+");

    private Preflight() {}

    static String master(String master) {
        if (master == null || MASTER.matcher(master).matches()) {
            return null;
        }
        return "--master " + master + ": not a Spark master URL (local, local[N], local[*], local[N,F], "
                + "local-cluster[N,C,M], spark://HOST:PORT, yarn, k8s://URL or mesos://URL)";
    }

    /**
     * --out must be a folder that can be made and written. For local paths that is tried: a probe file is
     * created and deleted in the folder, or in its nearest existing parent when it does not exist yet (root
     * may write anywhere whatever the mode bits say, so only trying tells; /proc refuses even root). Other file
     * systems are asked only whether the path is a file: a write there costs a round trip, and their
     * permissions are the cluster's.
     */
    static String out(String flag, String outUri, FileSystem fs) throws IOException {
        Path out = new Path(outUri);
        if (fs.exists(out) && !fs.getFileStatus(out).isDirectory()) {
            return flag + ": is a file, not a folder";
        }
        if (!"file".equals(out.toUri().getScheme())) {
            return null;
        }
        java.nio.file.Path existing = java.nio.file.Path.of(out.toUri().getPath());
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (!Files.isDirectory(existing)) {
            return flag + ": " + existing + " is a file, not a folder";
        }
        try {
            Files.delete(Files.createTempFile(existing, ".cka-atlas-probe-", ""));
        } catch (IOException e) {
            return flag + ": cannot write in " + existing + " (" + reason(e) + ")";
        }
        return null;
    }

    /**
     * Images directly under --data and no label folder: the listing skips files at the top (they have no
     * label), so without this the run would say only that it found 0 images.
     */
    static String flatFolder(String flag, Path data, FileSystem fs) throws IOException {
        int loose = 0;
        for (FileStatus status : fs.listStatus(data)) {
            String name = status.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_")) {
                continue;
            }
            if (status.isDirectory()) {
                return null;
            }
            loose += ImageListing.isImageName(name) ? 1 : 0;
        }
        return loose == 0 ? null : flag + ": " + loose + " images lie directly in the folder and none in a label folder; "
                + "the layout is DATA/<label>/<image>, one folder per class";
    }

    /** Why a file could not be made, in words (NoSuchFileException's message is the probe's own name). */
    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse) {
            return fse.getReason() != null ? fse.getReason() : "it takes no new files";
        }
        return String.valueOf(e.getMessage());
    }
}
