package org.ckaatlas.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.job.SparkSessions;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.Vocabulary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cka-atlas sql}: one SQL query over every run under --out. Each table is a view over all runs,
 * run_id a column; views other than {@code runs} show only published runs (status succeeded), so a run
 * that is still writing or died while publishing never shows half its rows.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = "Runs one Spark SQL query over every table under OUT (views: runs, images, layers, hsic_batches, "
                + "layer_cka, channel_cka, channel_cka_mean, feature_grids; run_id is a column) and prints the result.")
final class SqlCommand implements Callable<Integer> {
    enum Format { TABLE, CSV, JSON }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "root of the result tables")
    String out;

    @Option(names = "--format", defaultValue = "table", description = "table (aligned), csv or json (one object a line) (default: ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--master", defaultValue = "local[*]", description = "Spark master URL (default: ${DEFAULT-VALUE})")
    String master;

    @Parameters(index = "0", paramLabel = "QUERY", description = "the SQL query")
    String query;

    @Override
    public Integer call() throws IOException {
        String root = RunCommand.absolute(out);
        FileSystem fs = new Path(root).getFileSystem(new Configuration());
        if (!fs.exists(new Path(root, Table.RUNS.dirName()))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + ": no runs table there");
        }
        SparkSession spark = SparkSessions.create(master, "cka-atlas sql");
        try {
            registerViews(spark, root, fs);
            Dataset<Row> result;
            try {
                result = spark.sql(query);
            } catch (Exception e) {
                // Scala declares nothing: a bad query arrives as AnalysisException (ParseException is one)
                if (e instanceof AnalysisException) {
                    String message = e.getMessage().lines().filter(l -> !l.isBlank()).findFirst().orElse(e.toString());
                    throw new CommandLine.ParameterException(spec.commandLine(), "the query: " + message);
                }
                throw e;
            }
            print(result, spec.commandLine().getOut());
            return CkaAtlas.EXIT_OK;
        } finally {
            spark.stop();
        }
    }

    /** Every table that has rows, as a view; all but runs restricted to succeeded runs. */
    static void registerViews(SparkSession spark, String root, FileSystem fs) throws IOException {
        // merged schemas: runs written before a column existed read it as null
        spark.read().option("mergeSchema", true).parquet(new Path(root, Table.RUNS.dirName()).toString())
                .withColumn("status", org.apache.spark.sql.functions.expr(Vocabulary.STATUS_SQL))
                .createOrReplaceTempView("all_runs");
        spark.sql("SELECT * FROM all_runs").createOrReplaceTempView(Table.RUNS.dirName());
        for (Table table : Table.values()) {
            Path dir = new Path(root, table.dirName());
            if (table == Table.RUNS || !fs.exists(dir) || fs.listStatus(dir, p -> p.getName().startsWith("run_id=")).length == 0) {
                continue;
            }
            spark.read().parquet(dir.toString()).createOrReplaceTempView("all_" + table.dirName());
            spark.sql("SELECT * FROM all_" + table.dirName() + " WHERE run_id IN (SELECT run_id FROM all_runs WHERE status = 'succeeded')")
                    .createOrReplaceTempView(table.dirName());
        }
    }

    private void print(Dataset<Row> result, PrintWriter out) {
        String[] columns = result.columns();
        if (format == Format.JSON) {
            result.toJSON().collectAsList().forEach(out::println);
            out.flush();
            return;
        }
        List<String[]> rows = new ArrayList<>();
        for (Row r : result.collectAsList()) {
            String[] cells = new String[columns.length];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = r.isNullAt(i) ? (format == Format.CSV ? "" : "NULL") : String.valueOf(r.get(i));
            }
            rows.add(cells);
        }
        if (format == Format.CSV) {
            out.println(csv(columns));
            rows.forEach(cells -> out.println(csv(cells)));
        } else {
            int[] width = new int[columns.length];
            for (int i = 0; i < columns.length; i++) {
                width[i] = columns[i].length();
                for (String[] cells : rows) {
                    width[i] = Math.max(width[i], cells[i].length());
                }
            }
            out.println(line(columns, width));
            StringBuilder rule = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                rule.append(i == 0 ? "" : "-+-").append("-".repeat(width[i]));
            }
            out.println(rule);
            rows.forEach(cells -> out.println(line(cells, width)));
            out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
        }
        out.flush();
    }

    private static String line(String[] cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            b.append(i == 0 ? "" : " | ").append(String.format("%-" + width[i] + "s", cells[i]));
        }
        return b.toString().stripTrailing();
    }

    private static String csv(String[] cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i];
            b.append(i == 0 ? "" : ",");
            b.append(c.contains(",") || c.contains("\"") || c.contains("\n") ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        return b.toString();
    }
}
