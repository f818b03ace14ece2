package org.ckaatlas.results;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.EnumSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A Parquet output file whose stream can always be closed. A ParquetWriter whose close fails (a full
 * disk) never closes its stream, and an open file keeps its space even once deleted, so whoever gives
 * up on the file closes it here. On a local disk it writes through the raw file system: Hadoop's
 * checksumming stream does not close its file when its final flush fails (and its .crc sidecars are
 * not needed by any reader of these tables).
 */
final class ClosableOutputFile implements OutputFile {
    private final Configuration conf;
    private final FileSystem fs;
    private final Path path;
    private final boolean inExistingFolder;
    private PositionOutputStream stream;

    /** A file whose missing parent folders are created with it. */
    ClosableOutputFile(Path path, Configuration conf) throws IOException {
        this(path, conf, false);
    }

    /**
     * @param inExistingFolder fail, instead of creating the parent folder, when it is not there: an
     *     executor's file goes in a staging folder its driver made, and a folder that is gone belongs to a
     *     run that has failed and cleaned up, which a task still running must not bring back
     */
    ClosableOutputFile(Path path, Configuration conf, boolean inExistingFolder) throws IOException {
        this.conf = conf;
        FileSystem any = path.getFileSystem(conf);
        this.fs = any instanceof ChecksumFileSystem checksummed ? checksummed.getRawFileSystem() : any;
        this.path = fs.makeQualified(path);
        this.inExistingFolder = inExistingFolder;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
        stream = HadoopStreams.wrap(open(false));
        return stream;
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
        stream = HadoopStreams.wrap(open(true));
        return stream;
    }

    private FSDataOutputStream open(boolean overwrite) throws IOException {
        if (!inExistingFolder) {
            return fs.create(path, overwrite);
        }
        // this overload fails on a missing parent on HDFS and on the local file system alike (the boolean one
        // still makes it locally); a file system without createNonRecursive fails every part file
        EnumSet<CreateFlag> flags = overwrite ? EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE) : EnumSet.of(CreateFlag.CREATE);
        try {
            return fs.createNonRecursive(path, FsPermission.getFileDefault(), flags, conf.getInt("io.file.buffer.size", 4096),
                    fs.getDefaultReplication(path), fs.getDefaultBlockSize(path), null);
        } catch (FileNotFoundException e) {
            if (fs.exists(path.getParent())) {
                throw e;
            }
            throw new FileNotFoundException("its folder " + path.getParent()
                    + " is missing: the run has ended, or --out is not visible to this executor");
        }
    }

    @Override
    public boolean supportsBlockSize() {
        return true;
    }

    @Override
    public long defaultBlockSize() {
        return fs.getDefaultBlockSize(path);
    }

    @Override
    public String getPath() {
        return path.toString();
    }

    /** Closes the stream, if one was opened, whatever state its writer left it in. */
    void closeQuietly() {
        if (stream == null) {
            return;
        }
        try {
            stream.close();
        } catch (IOException | RuntimeException | FSError e) {
            // the descriptor is released even by a failed close; the bytes are not wanted
        }
        stream = null;
    }
}
