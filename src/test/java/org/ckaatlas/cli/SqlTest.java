package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckaatlas.data.SampleData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every SQL query in the README, against a real result set; DuckDB and Spark SQL read the same numbers. */
class SqlTest {
    @TempDir
    static Path dir;

    static Path out;

    private static String cli(int expected, String... args) {
        return Cli.expect(expected, List.of(args)).out();
    }

    /** Runs named as the README's queries expect: 'demo' (both scopes) and two nightly runs, one broken file. */
    @BeforeAll
    static void results() throws Exception {
        Path data = dir.resolve("data");
        SampleData.write(data, 3, 5, 4);
        Files.writeString(data.resolve("c00_grating/broken.JPEG"), "not a JPEG");
        out = dir.resolve("out");
        for (String[] run : new String[][] {{"demo", "both", "0"}, {"demo-2026-11-27", "global", "1"}, {"demo-2026-11-28", "global", "2"}}) {
            cli(0, "run", "--data", data.toString(), "--out", out.toString(), "--run-id", run[0], "--model", Cli.TINY_MODEL,
                    "--scope", run[1], "--seed", run[2], "--batch-size", "4", "--master", "local[2]", "--quiet", "--no-render",
                    "--bootstrap", "20", "--max-failed-fraction", "0.2");
        }
    }

    static List<String> readmeQueries() throws Exception {
        Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(Path.of("README.md")));
        List<String> queries = new ArrayList<>();
        while (m.find()) {
            queries.add(m.group(1).strip().replaceAll(";$", ""));
        }
        return queries;
    }

    @Test
    void everyReadmeQueryRunsAndReturnsRows() throws Exception {
        List<String> queries = readmeQueries();
        assertTrue(queries.size() >= 4, "the README's queries: " + queries.size());
        for (String query : queries) {
            if (query.contains("read_parquet")) {
                try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                        Statement st = duck.createStatement();
                        ResultSet rs = st.executeQuery(query.replace("'demo/out/", "'" + out + "/"))) {
                    assertEquals("layer_x", rs.getMetaData().getColumnName(1));
                    assertTrue(rs.next(), "DuckDB query returns rows: " + query);
                }
                continue;
            }
            String csv = cli(0, "sql", "--out", out.toString(), "--format", "csv", "--master", "local[1]", query);
            List<String> lines = csv.lines().toList();
            assertTrue(lines.size() >= 2, "a header and rows for:\n" + query + "\n" + csv);
            assertFalse(lines.get(0).isBlank());
        }
        String failures = cli(0, "sql", "--out", out.toString(), "--master", "local[1]",
                "SELECT run_id, image_id, error FROM all_images WHERE status = 'failed' ORDER BY run_id");
        assertTrue(failures.contains("c00_grating/broken.JPEG") && failures.contains("(3 rows)"), failures);
        assertTrue(cli(2, "sql", "--out", out.toString(), "SELEC nonsense").isEmpty());
    }

    @Test
    void duckDbReadsTheSameLayerCkaAsSparkSqlPartitionColumnIncluded() throws Exception {
        String json = cli(0, "sql", "--out", out.toString(), "--format", "json", "--master", "local[1]",
                "SELECT run_id, scope, estimator, model_x, layer_x, model_y, layer_y, cka FROM layer_cka");
        Map<String, Double> spark = new TreeMap<>();
        for (String line : json.lines().toList()) {
            var o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
            spark.put(String.join("|", o.get("run_id").getAsString(), o.get("scope").getAsString(), o.get("estimator").getAsString(),
                    o.get("model_x").getAsString(), o.get("layer_x").getAsString(), o.get("model_y").getAsString(),
                    o.get("layer_y").getAsString()), o.get("cka").getAsDouble());
        }
        Map<String, Double> duck = new TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT run_id, scope, estimator, model_x, layer_x, model_y, layer_y, cka FROM read_parquet('"
                        + out + "/layer_cka/*/*.parquet', hive_partitioning = true)")) {
            while (rs.next()) {
                duck.put(String.join("|", rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        String.valueOf(rs.getInt(5)), rs.getString(6), String.valueOf(rs.getInt(7))), rs.getDouble(8));
            }
        }
        assertEquals(spark.keySet(), duck.keySet());
        assertEquals(9 * (1 + 3) + 9 + 9, spark.size(), "demo: global and 3 classes; two nightly runs: global");
        spark.forEach((k, v) -> assertEquals(v, duck.get(k), 0.0, k));
    }

    /** sql is read-only: a write is refused before it runs, and every table keeps every run. */
    @Test
    void writesAreRefusedAndTheTablesStayWhole() throws Exception {
        String count = "SELECT count(*) AS n, count(DISTINCT run_id) AS runs FROM all_layer_cka";
        String before = cli(0, "sql", "--out", out.toString(), "--format", "csv", "--master", "local[1]", count);
        for (String write : List.of(
                "INSERT OVERWRITE DIRECTORY '" + out.resolve("layer_cka") + "' USING parquet SELECT 1 AS x",
                "CREATE TABLE t USING parquet LOCATION '" + out.resolve("t") + "' AS SELECT 1 AS x",
                "SELECT reflect('java.lang.System', 'getProperty', 'user.name') AS who")) {
            Cli.Outcome refused = Cli.expect(2, List.of("sql", "--out", out.toString(), "--master", "local[1]", write));
            assertEquals(1, refused.err().strip().lines().count(), refused.err());
            assertTrue(refused.err().startsWith("sql: the query: "), refused.err());
        }
        assertEquals(before, cli(0, "sql", "--out", out.toString(), "--format", "csv", "--master", "local[1]", count));
        assertTrue(before.endsWith(",3\n"), "three runs: " + before);
        assertFalse(Files.exists(out.resolve("t")));
    }

    /** A file that is not Parquet, beside the partitions or in one, is not read (it made every query fail). */
    @Test
    void strayFilesAreIgnored() throws Exception {
        String count = "SELECT count(DISTINCT c.run_id) AS runs, count(*) AS n FROM layer_cka c JOIN runs r ON r.run_id = c.run_id";
        String before = cli(0, "sql", "--out", out.toString(), "--format", "csv", "--master", "local[1]", count);
        List<Path> strays = List.of(out.resolve("layer_cka/README.txt"), out.resolve("runs/README.txt"),
                out.resolve("layer_cka/run_id=demo/notes.txt"));
        try {
            for (Path stray : strays) {
                Files.writeString(stray, "notes about these results\n");
            }
            assertEquals(before, cli(0, "sql", "--out", out.toString(), "--format", "csv", "--master", "local[1]", count));
            assertTrue(before.startsWith("runs,n\n3,"), before);
        } finally {
            for (Path stray : strays) {
                Files.deleteIfExists(stray);
            }
        }
    }

    /** The aligned table shows an array or binary value by its size; CSV keeps the values. */
    @Test
    void arraysAndBinaryAreSizesInTheTableAndWholeInCsv() throws Exception {
        String query = "SELECT channels, matrix, unhex('89504E47') AS png FROM channel_cka_mean WHERE run_id = 'demo' AND layer = 0 "
                + "AND scope = 'global'";
        String table = cli(0, "sql", "--out", out.toString(), "--master", "local[1]", query);
        String csv = cli(0, "sql", "--out", out.toString(), "--format", "csv", "--master", "local[1]", query);
        String[] cells = csv.lines().toList().get(1).split(",", 2);
        int channels = Integer.parseInt(cells[0]);
        assertTrue(table.contains("[" + channels * channels + " floats] | <4 bytes>"), table);
        assertTrue(table.lines().allMatch(l -> l.length() < 80), table);
        String matrix = cells[1].substring(1, cells[1].lastIndexOf("\""));
        assertTrue(matrix.startsWith("[") && matrix.endsWith("]"), matrix);
        assertEquals(channels * channels, matrix.split(",").length);
        assertTrue(csv.strip().endsWith(",iVBORw=="), "binary as base64: " + csv);
    }
}
