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
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.plans.logical.DescribeColumn;
import org.apache.spark.sql.catalyst.plans.logical.DescribeFunction;
import org.apache.spark.sql.catalyst.plans.logical.DescribeNamespace;
import org.apache.spark.sql.catalyst.plans.logical.DescribeRelation;
import org.apache.spark.sql.catalyst.plans.logical.InsertIntoDir;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.ParsedStatement;
import org.apache.spark.sql.catalyst.plans.logical.ShowColumns;
import org.apache.spark.sql.catalyst.plans.logical.ShowCreateTable;
import org.apache.spark.sql.catalyst.plans.logical.ShowFunctions;
import org.apache.spark.sql.catalyst.plans.logical.ShowNamespaces;
import org.apache.spark.sql.catalyst.plans.logical.ShowPartitions;
import org.apache.spark.sql.catalyst.plans.logical.ShowTableExtended;
import org.apache.spark.sql.catalyst.plans.logical.ShowTableProperties;
import org.apache.spark.sql.catalyst.plans.logical.ShowTables;
import org.apache.spark.sql.catalyst.plans.logical.ShowViews;
import org.apache.spark.sql.execution.command.DescribeQueryCommand;
import org.apache.spark.sql.execution.command.ExplainCommand;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
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
 *
 * <p>Read-only: the statement is parsed first and anything but a query (SELECT, WITH, VALUES, TABLE) or a
 * SHOW, DESCRIBE or EXPLAIN is refused before it runs. The check is on Spark's parsed plan, not the text:
 * {@code INSERT OVERWRITE DIRECTORY '<out>/layer_cka' SELECT ...} once replaced a table of every run.
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

    /** Statements that only read: the commands allowed at the top of a plan. */
    private static final List<Class<?>> READ_ONLY_COMMANDS = List.of(ShowTables.class, ShowViews.class, ShowColumns.class,
            ShowFunctions.class, ShowNamespaces.class, ShowTableExtended.class, ShowPartitions.class, ShowTableProperties.class,
            ShowCreateTable.class, DescribeRelation.class, DescribeColumn.class, DescribeFunction.class, DescribeNamespace.class,
            DescribeQueryCommand.class, ExplainCommand.class);

    /** Built-in functions that call any static Java method: not read-only. */
    private static final List<String> JAVA_CALLS = List.of("reflect", "java_method");

    @Override
    public Integer call() throws IOException {
        String badMaster = Preflight.master(master);
        if (badMaster != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), badMaster);
        }
        String root = RunCommand.absolute(out);
        FileSystem fs = new Path(root).getFileSystem(new Configuration());
        if (!fs.exists(new Path(root, Table.RUNS.dirName()))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + ": no runs table there");
        }
        SparkSession spark = SparkSessions.create(master, "cka-atlas sql");
        try {
            registerViews(spark, root, fs);
            JAVA_CALLS.forEach(f -> spark.sessionState().functionRegistry().dropFunction(new FunctionIdentifier(f)));
            Dataset<Row> result;
            try {
                String writes = writes(spark.sessionState().sqlParser().parsePlan(query));
                if (writes != null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "the query: only queries are run (SELECT, WITH, "
                            + "SHOW, DESCRIBE, EXPLAIN); this statement is " + writes);
                }
                result = spark.sql(query);
            } catch (AnalysisException e) {
                // a bad query, from the parser (ParseException is one) or from spark.sql, which declares nothing
                String message = e.getMessage().lines().filter(l -> !l.isBlank()).findFirst().orElse(e.toString());
                throw new CommandLine.ParameterException(spec.commandLine(), "the query: " + message);
            }
            print(result, spec.commandLine().getOut());
            return CkaAtlas.EXIT_OK;
        } finally {
            spark.stop();
        }
    }

    /**
     * What in the parsed plan is not a query (a command, an insert, a statement that creates or changes
     * something), or null when it only reads.
     */
    static String writes(LogicalPlan plan) {
        if (READ_ONLY_COMMANDS.stream().anyMatch(c -> c.isInstance(plan))) {
            return null;
        }
        if (plan instanceof org.apache.spark.sql.catalyst.plans.logical.Command || plan instanceof ParsedStatement
                || plan instanceof InsertIntoDir) {
            return plan.nodeName();
        }
        // CTE definitions (WITH) are inner children, not children
        for (scala.collection.Iterator<?> it = plan.children().iterator(); it.hasNext();) {
            String found = writes((LogicalPlan) it.next());
            if (found != null) {
                return found;
            }
        }
        for (scala.collection.Iterator<?> it = plan.innerChildren().iterator(); it.hasNext();) {
            Object inner = it.next();
            String found = inner instanceof LogicalPlan p ? writes(p) : null;
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /**
     * Every table's Parquet files only: a stray file (layer_cka/README.txt) would otherwise make every
     * query fail. The glob applies to files, so run_id=... folders are still discovered as partitions.
     * Schemas merged: runs written before a column existed (layer_cka's jackknife) read it as null.
     */
    private static DataFrameReader parquetFiles(SparkSession spark) {
        return spark.read().option("pathGlobFilter", "*.parquet").option("mergeSchema", true);
    }

    /** Every table that has rows, as a view; all but runs restricted to succeeded runs. */
    static void registerViews(SparkSession spark, String root, FileSystem fs) throws IOException {
        // a stale heartbeat reads abandoned
        parquetFiles(spark).parquet(new Path(root, Table.RUNS.dirName()).toString())
                .withColumn("status", org.apache.spark.sql.functions.expr(Vocabulary.STATUS_SQL))
                .createOrReplaceTempView("all_runs");
        spark.sql("SELECT * FROM all_runs").createOrReplaceTempView(Table.RUNS.dirName());
        for (Table table : Table.values()) {
            Path dir = new Path(root, table.dirName());
            if (table == Table.RUNS || !fs.exists(dir) || fs.listStatus(dir, p -> p.getName().startsWith("run_id=")).length == 0) {
                continue;
            }
            parquetFiles(spark).parquet(dir.toString()).createOrReplaceTempView("all_" + table.dirName());
            spark.sql("SELECT * FROM all_" + table.dirName() + " WHERE run_id IN (SELECT run_id FROM all_runs WHERE status = '"
                    + Vocabulary.SUCCEEDED + "')")
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
        DataType[] types = java.util.Arrays.stream(result.schema().fields()).map(StructField::dataType).toArray(DataType[]::new);
        List<String[]> rows = new ArrayList<>();
        for (Row r : result.collectAsList()) {
            String[] cells = new String[columns.length];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = r.isNullAt(i) ? (format == Format.CSV ? "" : "NULL") : cell(r, i, types[i]);
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

    /**
     * One value as text. In the aligned table an array or binary value is its size ("[1024 floats]",
     * "<5120 bytes>"): a channel matrix or a PNG would make every row thousands of characters wide. CSV
     * keeps them whole: arrays as [a,b,...], binary as base64 (as Spark's JSON writes it).
     */
    private String cell(Row r, int i, DataType type) {
        if (type instanceof ArrayType array) {
            List<Object> values = r.getList(i);
            return format == Format.TABLE ? "[" + values.size() + " " + array.elementType().simpleString() + "s]"
                    : values.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",", "[", "]"));
        }
        if (type instanceof BinaryType) {
            byte[] bytes = (byte[]) r.get(i);
            return format == Format.TABLE ? "<" + bytes.length + " bytes>" : java.util.Base64.getEncoder().encodeToString(bytes);
        }
        return String.valueOf(r.get(i));
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
