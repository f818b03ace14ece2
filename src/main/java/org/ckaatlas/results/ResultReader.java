package org.ckaatlas.results;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/** Reads a run's rows of a table with parquet-avro, through the table's own Avro schema. */
public final class ResultReader {
    /** How often a file replaced while it was read is read again. */
    private static final int REPLACED_TRIES = 3;

    private final String out;
    private final Configuration conf;

    public ResultReader(String out, Configuration conf) {
        this.out = out;
        this.conf = new Configuration(conf);
    }

    /** Whether the run has rows of this table. */
    public boolean exists(Table table, String runId) throws IOException {
        Path dir = new Path(table.partitionPath(out, runId));
        return dir.getFileSystem(conf).exists(dir);
    }

    /** @throws FileNotFoundException when the run has no such table */
    public List<GenericRecord> read(Table table, String runId) throws IOException {
        return read(table, runId, r -> true);
    }

    /**
     * The rows of one run that {@code keep} accepts, dropped as they are read: a reader across many
     * runs needs a few rows of each, not every run's full table in memory at once.
     *
     * @throws FileNotFoundException when the run has no such table
     */
    public List<GenericRecord> read(Table table, String runId, Predicate<GenericRecord> keep) throws IOException {
        Path dir = new Path(table.partitionPath(out, runId));
        if (!dir.getFileSystem(conf).exists(dir)) {
            throw new FileNotFoundException("no " + table.dirName() + " for run " + runId + " under " + out);
        }
        return readFolder(dir, table, conf, keep);
    }

    /** The run ids that have a partition of this table, sorted (none when the table has no folder). */
    public List<String> runIds(Table table) throws IOException {
        Path dir = new Path(Table.trimSlash(out) + "/" + table.dirName());
        FileSystem fs = dir.getFileSystem(conf);
        List<String> ids = new ArrayList<>();
        if (fs.exists(dir)) {
            for (FileStatus status : fs.listStatus(dir)) {
                String name = status.getPath().getName();
                if (status.isDirectory() && name.startsWith(Table.partition(""))) {
                    ids.add(name.substring(Table.partition("").length()));
                }
            }
        }
        ids.sort(null);
        return ids;
    }

    /** Every row of the Parquet files directly in {@code dir}, in file-name order. */
    public static List<GenericRecord> readFolder(Path dir, Table table, Configuration conf) throws IOException {
        return readFolder(dir, table, conf, r -> true);
    }

    private static List<GenericRecord> readFolder(Path dir, Table table, Configuration conf, Predicate<GenericRecord> keep)
            throws IOException {
        FileSystem fs = dir.getFileSystem(conf);
        FileStatus[] files = fs.listStatus(dir, p -> p.getName().endsWith(".parquet"));
        Arrays.sort(files);
        Configuration readConf = new Configuration(conf);
        // arrays: the standard 3-level LIST (TableFiles writes it, as Spark does); parquet-avro's
        // default projection is its old 2-level layout, whose columns match nothing in such files
        readConf.setBoolean("parquet.avro.write-old-list-structure", false);
        // feed the decompressor whole pages: parquet-java's snappy regrows its buffer per chunk read
        readConf.setInt("io.file.buffer.size", 8 << 20);
        AvroReadSupport.setAvroReadSchema(readConf, table.schema());
        AvroReadSupport.setRequestedProjection(readConf, table.schema());
        List<GenericRecord> rows = new ArrayList<>();
        for (FileStatus file : files) {
            readFile(fs, file.getPath(), readConf, keep, rows);
        }
        return rows;
    }

    /**
     * One file's rows. A file replaced while it was read (a live run's runs row, which each heartbeat moves
     * over the last one) is read again: its length was taken from the file it replaced.
     */
    private static void readFile(FileSystem fs, Path path, Configuration conf, Predicate<GenericRecord> keep,
            List<GenericRecord> rows) throws IOException {
        for (int tries = 1; ; tries++) {
            FileStatus before = fs.getFileStatus(path);
            List<GenericRecord> read = new ArrayList<>();
            try (ParquetReader<GenericRecord> reader = AvroParquetReader
                    .<GenericRecord>builder(HadoopInputFile.fromStatus(before, conf))
                    .withConf(conf)
                    .build()) {
                for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
                    if (keep.test(r)) {
                        read.add(r);
                    }
                }
                rows.addAll(read);
                return;
            } catch (IOException | RuntimeException e) { // parquet-java reports a torn footer as a RuntimeException
                if (tries == REPLACED_TRIES || !replaced(fs, before)) {
                    throw e;
                }
            }
        }
    }

    private static boolean replaced(FileSystem fs, FileStatus before) throws IOException {
        try {
            FileStatus now = fs.getFileStatus(before.getPath());
            return now.getLen() != before.getLen() || now.getModificationTime() != before.getModificationTime();
        } catch (FileNotFoundException e) {
            return true; // swapped with its folder: the next try finds the new one or fails saying so
        }
    }
}
