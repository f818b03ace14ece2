package org.ckaatlas.results;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetWriter;

/**
 * One task attempt's file of a large table, streamed from an executor: rows go to a hidden file as they
 * are made and nothing is held in memory but parquet's current row group. {@link #commit} renames it to
 * {@code part-<partition>.parquet}; a failed attempt {@link #abort}s. A retried or speculative attempt of
 * the same partition writes the same rows (the analysis is deterministic), so whichever commits last wins.
 * The file goes in the folder the driver staged for its table and never makes one: a task still running
 * after its run failed and removed its staging fails its next file instead of bringing the folder back.
 */
public final class PartFile implements AutoCloseable {
    private final Path dir;
    private final Schema schema;
    private final int partition;
    private final String attempt;
    private final Configuration conf;
    private ParquetWriter<GenericRecord> writer;
    private ClosableOutputFile file;

    /**
     * @param dir the table's staging folder
     * @param attempt unique among the attempts of this partition (e.g. Spark's task attempt id)
     */
    public PartFile(Path dir, Schema schema, int partition, String attempt, Configuration conf) {
        this.dir = dir;
        this.schema = schema;
        this.partition = partition;
        this.attempt = attempt;
        this.conf = conf;
    }

    public void write(GenericRecord row) {
        try {
            if (writer == null) {
                file = new ClosableOutputFile(temporary(), conf, true);
                writer = TableFiles.writer(file, schema, conf);
            }
            writer.write(row);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing " + dir.getName() + ": " + e.getMessage(), e);
        }
    }

    /** Closes the file and makes it part of the table; a partition that wrote no rows leaves no file. */
    public void commit() throws IOException {
        if (writer == null) {
            return;
        }
        writer.close();
        writer = null;
        file = null;
        Path target = new Path(dir, String.format(java.util.Locale.ROOT, "part-%05d.parquet", partition));
        FileSystem fs = dir.getFileSystem(conf);
        fs.delete(target, false);
        if (!fs.rename(temporary(), target)) {
            throw new IOException("could not commit " + target);
        }
    }

    /** Drops what this attempt wrote, and frees its space even when the writer cannot close (disk full). */
    public void abort() {
        writer = null; // a writer that failed once only fails again: its buffered pages are dropped
        if (file != null) {
            file.closeQuietly();
            file = null;
        }
        try {
            dir.getFileSystem(conf).delete(temporary(), false);
        } catch (IOException e) {
            // the staging folder of a failed run is removed whole; a leftover here is harmless
        }
    }

    @Override
    public void close() {
        abort();
    }

    private Path temporary() {
        return new Path(dir, "_attempt-" + partition + "-" + attempt + ".tmp");
    }
}
