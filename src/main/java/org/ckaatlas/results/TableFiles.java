package org.ckaatlas.results;

import java.io.IOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/**
 * Parquet files of a table, written with parquet-avro through the table's one schema: no Spark job, so
 * the driver writes its small tables in milliseconds and each executor streams its large ones.
 *
 * <p>Settings every reader needs: the standard 3-level LIST for arrays (what Spark and DuckDB read;
 * parquet-avro's default is its old 2-level form) and zstd (parquet-java's snappy decoder is quadratic in
 * the page size). An array field may hold a Java primitive array: parquet-avro writes a {@code float[]}
 * as it is, so a channel matrix is never boxed float by float.
 */
public final class TableFiles {
    /** Row groups of 64 MB: an executor writing 512 x 512 float matrices holds at most one in memory. */
    private static final int ROW_GROUP_BYTES = 64 << 20;

    private TableFiles() {}

    /** A writer of one new file; fails if the file exists. */
    static ParquetWriter<GenericRecord> writer(OutputFile file, Schema schema, Configuration conf) throws IOException {
        Configuration c = new Configuration(conf);
        c.setBoolean("parquet.avro.write-old-list-structure", false);
        return AvroParquetWriter.<GenericRecord>builder(file)
                .withSchema(schema)
                .withConf(c)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withRowGroupSize(ROW_GROUP_BYTES)
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .build();
    }

    /** Writes {@code rows} as one file. */
    public static void write(Path file, Schema schema, List<GenericRecord> rows, Configuration conf) throws IOException {
        write(file, schema, rows, conf, false);
    }

    /** As {@link #write(Path, Schema, List, Configuration)}; with {@code inExistingFolder}, a missing folder fails it. */
    static void write(Path file, Schema schema, List<GenericRecord> rows, Configuration conf, boolean inExistingFolder)
            throws IOException {
        ClosableOutputFile out = new ClosableOutputFile(file, conf, inExistingFolder);
        try (ParquetWriter<GenericRecord> w = writer(out, schema, conf)) {
            for (GenericRecord row : rows) {
                w.write(row);
            }
        } finally {
            out.closeQuietly(); // after a failed close (a full disk), the file's descriptor and space
        }
    }
}
