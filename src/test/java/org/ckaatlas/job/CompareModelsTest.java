package org.ckaatlas.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.render.RunReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --compare: a second model on the same batches; TorchScript models; --layers; bad models exit 2. */
class CompareModelsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void sampleData() throws Exception {
        SampleData.write(dir.resolve("data"), 3, 4, 5);
    }

    private static String run(int expectedExit, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--data", dir.resolve("data").toString(),
                "--out", dir.resolve("out").toString(), "--batch-size", "4", "--master", "local[2]", "--bootstrap", "0"));
        args.addAll(List.of(extra));
        return Cli.expect(expectedExit, args).text();
    }

    /** cka[x][y] of one model pair of a run. */
    private static double[][] matrix(SparkSession spark, String runId, String mx, String my, int size) {
        double[][] m = new double[size][size];
        for (Row r : spark.sql("SELECT layer_x, layer_y, cka FROM layer_cka WHERE run_id = '" + runId + "' AND model_x = '"
                + mx + "' AND model_y = '" + my + "'").collectAsList()) {
            m[r.getInt(0)][r.getInt(1)] = r.getDouble(2);
        }
        return m;
    }

    @Test
    void aModelComparedWithItselfGivesTheWithinModelMatrixAndAnotherSeedDoesNot() throws Exception {
        run(0, "--run-id", "self", "--model", Cli.TINY_MODEL, "--compare", Cli.TINY_MODEL);
        run(0, "--run-id", "seeds", "--model", "vgg11:seed=1", "--compare", "vgg11:seed=2", "--layers", "conv1,conv5,7",
                "--compare-layers", "conv1,conv5,conv8");
        SparkSession spark = SparkSessions.create("local[1]", "read back");
        try {
            spark.read().parquet(dir.resolve("out/layer_cka").toString()).createOrReplaceTempView("layer_cka");
            spark.read().parquet(dir.resolve("out/layers").toString()).createOrReplaceTempView("layers");
            assertEquals(36L, spark.sql("SELECT count(*) FROM layer_cka WHERE run_id = 'self'").first().getLong(0),
                    "(3 + 3) x (3 + 3) ordered pairs: a-a, a-b, b-a, b-b");
            double[][] aa = matrix(spark, "self", "a", "a", 3);
            double[][] ab = matrix(spark, "self", "a", "b", 3);
            double[][] bb = matrix(spark, "self", "b", "b", 3);
            for (int x = 0; x < 3; x++) {
                for (int y = 0; y < 3; y++) {
                    assertEquals(aa[x][y], ab[x][y], 1e-9, "cross = within at " + x + "," + y);
                    assertEquals(aa[x][y], bb[x][y], 1e-9);
                }
            }
            List<Row> names = spark.sql("SELECT model, name FROM layers WHERE run_id = 'seeds' ORDER BY model, layer").collectAsList();
            assertEquals("[[a,conv1], [a,conv5], [a,conv8], [b,conv1], [b,conv5], [b,conv8]]", names.toString());
            double[][] seedsAb = matrix(spark, "seeds", "a", "b", 3);
            double[][] seedsAa = matrix(spark, "seeds", "a", "a", 3);
            double largest = 0;
            for (int x = 0; x < 3; x++) {
                for (int y = 0; y < 3; y++) {
                    largest = Math.max(largest, Math.abs(seedsAb[x][y] - seedsAa[x][y]));
                }
            }
            assertTrue(largest > 1e-3, "two seeds give another cross-model matrix: largest difference " + largest);
        } finally {
            spark.stop();
        }
        Path report = RunReport.folder(dir.resolve("out").toString(), "seeds");
        assertTrue(Files.size(report.resolve("layer_cka_global_a_vs_b.png")) > 0, "the cross-model heatmap");
        assertTrue(Files.readString(report.resolve("index.html")).contains("layer_cka_global_b.png"));
    }

    @Test
    void badModelsAndLayersExitTwoWithALineThatSaysWhy() throws Exception {
        String unknownLayer = run(2, "--run-id", "x", "--layers", "conv1,conv99");
        assertTrue(unknownLayer.contains("conv99") && unknownLayer.contains("conv8"), unknownLayer);
        String missing = run(2, "--run-id", "x", "--model", "torchscript:" + dir.resolve("nope.pt"));
        assertTrue(missing.contains("nope.pt"), missing);
        Path pt = Files.copy(Path.of("src/test/resources/fixtures/tiny_vgg.pt"), dir.resolve("m.pt"));
        Files.writeString(dir.resolve("m.pt.json"), Files.readString(Path.of("src/test/resources/fixtures/tiny_vgg.pt.json"))
                .replaceFirst("\"name\": \"6\",\\s*\"shape\": \\[\\s*16", "\"name\": \"6\", \"shape\": [ 17"));
        String mismatch = run(2, "--run-id", "x", "--model", "torchscript:" + pt);
        assertTrue(mismatch.contains("does not match its sidecar"), mismatch);
        String sizes = run(2, "--run-id", "x", "--model", Cli.TINY_MODEL, "--compare", "vgg11");
        assertTrue(sizes.contains("must match"), sizes);
        assertTrue(!Files.exists(dir.resolve("out/runs/run_id=x")), "nothing written");
    }
}
