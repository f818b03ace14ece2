package org.ckaatlas.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.render.RunReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline as a user runs it: the CLI on Spark local[2] with the real VGG11 on libtorch over a
 * small generated data set, then the written Parquet files checked through Spark SQL.
 */
class EndToEndTest {
    private static final int CLASSES = 4;
    private static final int PER_CLASS = 4;

    @TempDir
    static Path dir;

    static Path data;
    static Path out;

    @BeforeAll
    static void sampleData() throws Exception {
        data = dir.resolve("data");
        out = dir.resolve("out");
        SampleData.write(data, CLASSES, PER_CLASS, 11);
    }

    private static void run(String runId, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--data", data.toString(), "--out", out.toString(),
                "--run-id", runId, "--batch-size", "5", "--master", "local[2]"));
        args.addAll(List.of(extra));
        Cli.expect(0, args);
    }

    /** (layer_x, layer_y) -> cka of the run, read through Spark SQL over every run's files. */
    private static Map<List<Integer>, Double> layerCka(SparkSession spark, String runId) {
        Map<List<Integer>, Double> cka = new TreeMap<>((a, b) -> a.get(0).equals(b.get(0)) ? a.get(1) - b.get(1) : a.get(0) - b.get(0));
        for (Row r : spark.sql("SELECT layer_x, layer_y, cka FROM layer_cka WHERE run_id = '" + runId
                + "' AND estimator = 'unbiased'").collectAsList()) {
            cka.put(List.of(r.getInt(0), r.getInt(1)), r.getDouble(2));
        }
        return cka;
    }

    private static SparkSession readBack() {
        SparkSession spark = SparkSessions.create("local[1]", "read back");
        for (String table : List.of("runs", "images", "layers", "hsic_batches", "layer_cka")) {
            spark.read().parquet(out.resolve(table).toString()).createOrReplaceTempView(table);
        }
        return spark;
    }

    @Test
    void aRunWritesEveryTableAFullSymmetricMatrixAndAReportAndRerunsReplaceIt() throws Exception {
        run("e2e", "--bootstrap", "200");
        Map<List<Integer>, Double> first;
        SparkSession spark = readBack();
        try {
            first = layerCka(spark, "e2e");
            assertEquals(64, first.size(), "one row per ordered layer pair of 8 layers");
            assertEquals(64L, spark.sql("SELECT count(*) FROM layer_cka WHERE run_id = 'e2e'").first().getLong(0));
            for (int x = 0; x < 8; x++) {
                assertEquals(1.0, first.get(List.of(x, x)), 1e-6, "diagonal");
                for (int y = 0; y < 8; y++) {
                    double v = first.get(List.of(x, y));
                    assertTrue(Double.isFinite(v), "finite at " + x + "," + y);
                    assertEquals(v, first.get(List.of(y, x)), 1e-6, "symmetric at " + x + "," + y);
                }
            }
            Row run = spark.sql("SELECT status, images_ok, images_failed, batches, finished_at FROM runs WHERE run_id = 'e2e'").first();
            assertEquals("succeeded", run.getString(0));
            assertEquals(CLASSES * PER_CLASS, run.getLong(1));
            assertEquals(0L, run.getLong(2));
            assertEquals(4, run.getInt(3), "16 images in batches of at most 5: 4 batches of 4");
            assertTrue(run.get(4) != null);
            Row images = spark.sql("SELECT count(*), count(DISTINCT batch), min(batch), max(batch), "
                    + "sum(CASE WHEN status = 'ok' THEN 1 ELSE 0 END), count(DISTINCT label) FROM images WHERE run_id = 'e2e'").first();
            assertEquals(List.of(16L, 4L, 0, 3, 16L, 4L), List.of(images.getLong(0), images.getLong(1), images.getInt(2),
                    images.getInt(3), images.getLong(4), images.getLong(5)));
            assertEquals(4L * 64, spark.sql("SELECT count(*) FROM hsic_batches WHERE run_id = 'e2e'").first().getLong(0));
            assertEquals(8L, spark.sql("SELECT count(*) FROM layers WHERE run_id = 'e2e'").first().getLong(0));
            Row ci = spark.sql("SELECT count(*) FROM layer_cka WHERE run_id = 'e2e' AND NOT (ci_low <= cka + 1e-12 AND cka <= ci_high + 1e-12)").first();
            assertEquals(0L, ci.getLong(0), "every estimate inside its bootstrap interval");
            // the permutation null (200 by default): a p-value off the diagonal, in [1/201, 1]; none on it
            Row p = spark.sql("SELECT count(p_value), min(p_value), max(p_value), count(CASE WHEN layer_x = layer_y THEN p_value END)"
                    + " FROM layer_cka WHERE run_id = 'e2e'").first();
            assertEquals(56L, p.getLong(0), "8 x 7 ordered pairs");
            assertTrue(p.getDouble(1) >= 1.0 / 201 - 1e-15 && p.getDouble(2) <= 1.0, p.toString());
            assertEquals(0L, p.getLong(3));
            // the jackknife brackets the estimate; a self row of every batch has its share, and shares sum to 1
            assertEquals(0L, spark.sql("SELECT count(*) FROM layer_cka WHERE run_id = 'e2e' AND layer_x <> layer_y"
                    + " AND NOT (jackknife_low <= cka + 1e-12 AND cka <= jackknife_high + 1e-12)").first().getLong(0));
            assertEquals(0L, spark.sql("SELECT count(*) FROM (SELECT layer_x, sum(share) AS s FROM hsic_batches WHERE run_id = 'e2e'"
                    + " AND model_x = model_y AND layer_x = layer_y GROUP BY layer_x) WHERE abs(s - 1) > 1e-9").first().getLong(0));
        } finally {
            spark.stop();
        }

        Path png = RunReport.heatmapFile(out.toString(), "e2e").toPath();
        BufferedImage heatmap = ImageIO.read(png.toFile());
        assertTrue(heatmap.getWidth() > 400 && heatmap.getHeight() > 400);
        String html = Files.readString(png.resolveSibling("index.html"));
        assertTrue(html.contains("layer_cka_global.png") && html.contains("succeeded"), html);

        run("e2e", "--bootstrap", "200");
        spark = readBack();
        try {
            assertEquals(first, layerCka(spark, "e2e"), "the same run twice gives identical numbers");
            for (String table : List.of("runs", "images", "layers", "hsic_batches", "layer_cka")) {
                long rows = spark.sql("SELECT count(*) FROM " + table + " WHERE run_id = 'e2e'").first().getLong(0);
                long expected = Map.of("runs", 1L, "images", 16L, "layers", 8L, "hsic_batches", 256L, "layer_cka", 64L).get(table);
                assertEquals(expected, rows, "re-running a run id replaces it: " + table);
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void anRbfKernelWithTheBiasedEstimatorReportedBesideTheUnbiased() {
        run("rbf-biased", "--kernel", "rbf:0.8", "--estimator", "biased", "--bootstrap", "0");
        SparkSession spark = readBack();
        try {
            List<Row> rows = spark.sql("SELECT estimator, count(*), min(CASE WHEN layer_x = layer_y THEN cka END), "
                    + "max(CASE WHEN layer_x = layer_y THEN cka END), count(ci_low), "
                    + "sum(CASE WHEN isnan(cka) THEN 1 ELSE 0 END) FROM layer_cka "
                    + "WHERE run_id = 'rbf-biased' GROUP BY estimator ORDER BY estimator").collectAsList();
            assertEquals(2, rows.size());
            for (Row r : rows) {
                assertEquals(64L, r.getLong(1), r.getString(0));
                assertEquals(1.0, r.getDouble(2), 1e-9, "diagonal " + r.getString(0));
                assertEquals(1.0, r.getDouble(3), 1e-9, "diagonal " + r.getString(0));
                assertEquals(0L, r.getLong(4), "--bootstrap 0: no intervals");
                assertEquals(0L, r.getLong(5), "all defined");
            }
            assertEquals(List.of("biased", "unbiased"), List.of(rows.get(0).getString(0), rows.get(1).getString(0)));
            String config = spark.sql("SELECT config FROM runs WHERE run_id = 'rbf-biased'").first().getString(0);
            assertTrue(config.contains("\"kernel\":\"rbf:0.8\"") && config.contains("\"estimator\":\"biased\""), config);
            assertEquals(2L * 4 * 64, spark.sql("SELECT count(*) FROM hsic_batches WHERE run_id = 'rbf-biased'").first().getLong(0));
        } finally {
            spark.stop();
        }
    }
}
