package org.ckaatlas.job;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.results.Table;

/**
 * Writes one run's tables so that readers see a run whole or not at all. Tables are written by Spark
 * to {@code <out>/_staging/run_id=<id>/<table>} (a folder every reader ignores: '_' prefix) and then
 * renamed into their partitions, the runs row last: its status is what says a run finished.
 * {@link #begin} first removes whatever an earlier run of the same id left, so a re-run replaces and
 * never duplicates, and a failed re-run cannot leave the old numbers under its id.
 */
final class RunPublisher {
    private final SparkSession spark;
    private final String out;
    private final String runId;
    private final FileSystem fs;

    RunPublisher(SparkSession spark, String out, String runId) throws IOException {
        this.spark = spark;
        this.out = out;
        this.runId = runId;
        this.fs = new Path(out).getFileSystem(spark.sparkContext().hadoopConfiguration());
        // timestamps as the Avro schemas declare them (millis), not Spark's default INT96
        spark.conf().set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS");
        // zstd: smaller float matrices than snappy, and parquet-java's snappy decompressor is quadratic in
        // the page size (it regrows its buffer per 4 KiB read): minutes for a page of 512 x 512 floats
        spark.conf().set("spark.sql.parquet.compression.codec", "zstd");
    }

    /** Clears every table of this run id and records the run as running. */
    void begin(GenericRecord runningRow) throws IOException {
        clearRun();
        stage(Table.RUNS, List.of(runningRow));
        move(Table.RUNS);
    }

    /** Writes one table's rows, made on the driver, to the staging area. */
    void stage(Table table, List<GenericRecord> rows) {
        List<Row> sparkRows = rows.stream().map(RowCodec::toRow).collect(Collectors.toList());
        stageRows(table, spark.createDataFrame(sparkRows, RowCodec.sparkSchema(table.schema())).coalesce(1));
    }

    /** Writes one table's rows, wherever they were made (executors for the large ones), to the staging area. */
    void stageRows(Table table, Dataset<Row> rows) {
        rows.write().mode(SaveMode.Overwrite).parquet(new Path(staging(), table.dirName()).toString());
    }

    /** Moves every staged table into place, then replaces the runs row with the final one. */
    void publish(List<Table> staged, GenericRecord finalRunRow) throws IOException {
        for (Table table : staged) {
            move(table);
        }
        stage(Table.RUNS, List.of(finalRunRow));
        move(Table.RUNS);
        clearStaging();
    }

    /** Records a failed run: its runs row says failed, and none of its other rows are visible. */
    void fail(GenericRecord failedRunRow) throws IOException {
        clearRun();
        stage(Table.RUNS, List.of(failedRunRow));
        move(Table.RUNS);
        clearStaging();
    }

    /** Removes every row of this run id from every table, and what it staged. */
    private void clearRun() throws IOException {
        for (Table table : Table.values()) {
            delete(new Path(table.partitionPath(out, runId)));
        }
        delete(staging());
    }

    private void move(Table table) throws IOException {
        Path target = new Path(table.partitionPath(out, runId));
        delete(target);
        fs.mkdirs(target.getParent());
        Path source = new Path(staging(), table.dirName());
        if (!fs.rename(source, target)) {
            throw new IOException("could not move " + source + " to " + target);
        }
    }

    /** Removes this run's staging folder, and the staging root once no other run is using it. */
    private void clearStaging() throws IOException {
        delete(staging());
        Path root = staging().getParent();
        if (fs.exists(root) && fs.listStatus(root).length == 0) {
            fs.delete(root, false);
        }
    }

    private Path staging() {
        return new Path(out, "_staging/" + Table.partition(runId));
    }

    private void delete(Path path) throws IOException {
        if (fs.exists(path) && !fs.delete(path, true)) {
            throw new IOException("could not delete " + path);
        }
    }
}
