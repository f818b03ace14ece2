package org.ckaatlas.results;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Hadoop paths on the local file system as java.nio paths, for the atomic steps Hadoop's local file
 * system does not offer: a hard link that fails if the target exists, a move over an existing file.
 */
final class LocalDisk {
    private LocalDisk() {}

    static boolean holds(FileSystem fs) {
        return "file".equals(fs.getScheme());
    }

    static java.nio.file.Path path(FileSystem fs, Path path) {
        return java.nio.file.Path.of(fs.makeQualified(path).toUri());
    }
}
