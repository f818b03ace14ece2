package org.ckaatlas.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.data.ImageDecoder;
import org.ckaatlas.data.Preprocessing;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.ModelSpec;
import org.ckaatlas.model.TappedNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a scheduler and a SQL user rely on: repeatable numbers, scopes, all-or-nothing runs, correct sums. */
class JobSpineTest {
    @TempDir
    static Path dir;

    static Path data;

    @BeforeAll
    static void sampleData() throws Exception {
        data = dir.resolve("data");
        SampleData.write(data, 3, 6, 21);
        Files.createDirectories(data.resolve("tiny class"));
        Files.copy(data.resolve("c00_grating/c00_grating_0000.JPEG"), data.resolve("tiny class/a.jpg"));
        Files.copy(data.resolve("c01_checkerboard/c01_checkerboard_0000.JPEG"), data.resolve("tiny class/b.jpg"));
    }

    private static String run(int expectedExit, Path out, String runId, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--data", data.toString(), "--out", out.toString(),
                "--run-id", runId, "--model", Cli.TINY_MODEL, "--batch-size", "4", "--bootstrap", "50", "--quiet", "--no-render"));
        args.addAll(List.of(extra));
        return Cli.expect(expectedExit, args).text();
    }

    private static SparkSession readBack(Path out, String... tables) {
        SparkSession spark = SparkSessions.create("local[1]", "read back");
        for (String table : tables) {
            spark.read().parquet(out.resolve(table).toString()).createOrReplaceTempView(table);
        }
        return spark;
    }

    private static Map<String, Double> values(SparkSession spark, String sql) {
        Map<String, Double> m = new TreeMap<>();
        for (Row r : spark.sql(sql).collectAsList()) {
            m.put(r.getString(0), r.getDouble(1));
        }
        return m;
    }

    @Test
    void oneExecutorThreadOrTwoWithOtherPartitionsGiveTheSameNumbers() {
        Path out = dir.resolve("det");
        run(0, out, "one", "--master", "local[1]", "--scope", "both");
        run(0, out, "two", "--master", "local[2]", "--scope", "both");
        SparkSession spark = readBack(out, "layer_cka", "channel_cka_mean");
        try {
            String cka = "SELECT concat(scope, ' ', model_x, layer_x, model_y, layer_y, ' ', estimator), cka FROM layer_cka WHERE run_id = '%s'";
            Map<String, Double> one = values(spark, String.format(cka, "one"));
            Map<String, Double> two = values(spark, String.format(cka, "two"));
            assertEquals(one.keySet(), two.keySet());
            assertEquals(4 * 9, one.size(), "global and three classes, 3 x 3 layers each");
            one.forEach((k, v) -> assertEquals(v, two.get(k), 1e-9, k));
            String mean = "SELECT concat(scope, ' ', model, layer, ' ', pos), CAST(m AS DOUBLE) FROM channel_cka_mean "
                    + "LATERAL VIEW posexplode(matrix) t AS pos, m WHERE run_id = '%s' AND NOT isnan(m)";
            Map<String, Double> meanOne = values(spark, String.format(mean, "one"));
            Map<String, Double> meanTwo = values(spark, String.format(mean, "two"));
            assertEquals(meanOne.keySet(), meanTwo.keySet());
            assertTrue(meanOne.size() > 1000);
            meanOne.forEach((k, v) -> assertEquals(v, meanTwo.get(k), 1e-6, k));
        } finally {
            spark.stop();
        }
    }

    @Test
    void classScopeGivesOneSetOfRowsPerLabelAndReportsTheLabelsTooSmall() {
        Path out = dir.resolve("class");
        String printed = run(0, out, "cls", "--scope", "class", "--channel-cka", "mean");
        assertTrue(printed.contains("tiny class"), "reported on stderr: " + printed);
        SparkSession spark = readBack(out, "layer_cka", "runs", "images", "channel_cka_mean", "channel_cka");
        try {
            List<String> scopes = spark.sql("SELECT DISTINCT scope FROM layer_cka WHERE run_id = 'cls' ORDER BY scope")
                    .collectAsList().stream().map(r -> r.getString(0)).toList();
            assertEquals(List.of("class:c00_grating", "class:c01_checkerboard", "class:c02_blobs"), scopes);
            String notes = spark.sql("SELECT notes FROM runs WHERE run_id = 'cls'").first().getString(0);
            assertTrue(notes.contains("\"tiny class\":2"), notes);
            assertEquals(2L, spark.sql("SELECT count(*) FROM images WHERE run_id = 'cls' AND status = 'skipped'").first().getLong(0));
            assertEquals(List.of("class:c00_grating", "class:c01_checkerboard", "class:c02_blobs", "global"),
                    spark.sql("SELECT DISTINCT scope FROM channel_cka_mean WHERE run_id = 'cls' ORDER BY scope")
                            .collectAsList().stream().map(r -> r.getString(0)).toList());
            Row perImage = spark.sql("SELECT count(*), count(DISTINCT image_id), min(channels), sum(CASE WHEN matrix IS NULL THEN 0 ELSE 1 END) "
                    + "FROM channel_cka WHERE run_id = 'cls'").first();
            assertEquals(List.of(18L * 3, 18L, 8, 0L), List.of(perImage.getLong(0), perImage.getLong(1), perImage.getInt(2), perImage.getLong(3)));
        } finally {
            spark.stop();
        }
    }

    @Test
    void theNumbersAgreeWithAnIndependentFloat64ComputationOverTheSameActivationsAndBatches() throws Exception {
        Path out = dir.resolve("ref");
        run(0, out, "ref", "--master", "local[2]", "--channel-cka", "off");
        Map<Integer, List<String>> batches = new TreeMap<>();
        Map<String, Double> pipeline;
        SparkSession spark = readBack(out, "images", "layer_cka");
        try {
            for (Row r : spark.sql("SELECT batch, image_id FROM images WHERE run_id = 'ref' AND status = 'ok' ORDER BY image_id").collectAsList()) {
                batches.computeIfAbsent(r.getInt(0), k -> new ArrayList<>()).add(r.getString(1));
            }
            pipeline = values(spark, "SELECT concat(layer_x, ',', layer_y), cka FROM layer_cka WHERE run_id = 'ref' AND scope = 'global'");
        } finally {
            spark.stop();
        }
        TappedNetwork network = ModelCache.get(ModelSpec.parse(Cli.TINY_MODEL), Device.cpu());
        Preprocessing preprocessing = Preprocessing.resize(32);
        double[][] sums = new double[3][3];
        for (List<String> members : batches.values()) {
            int n = members.size();
            float[] input = new float[n * 3 * 32 * 32];
            for (int i = 0; i < n; i++) {
                float[] t = preprocessing.apply(ImageDecoder.decode(Files.readAllBytes(data.resolve(members.get(i)))));
                System.arraycopy(t, 0, input, i * t.length, t.length);
            }
            double[][][] grams = new double[3][][];
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                network.forward(manager.create(input, new Shape(n, 3, 32, 32)), (layer, output) -> {
                    float[] x = output.toFloatArray();
                    int d = x.length / n;
                    double[][] k = new double[n][n];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int f = 0; f < d; f++) {
                                s += (double) x[i * d + f] * x[j * d + f];
                            }
                            k[i][j] = s;
                        }
                    }
                    grams[layer] = k;
                });
            }
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++) {
                    sums[a][b] += songUnbiasedHsic(grams[a], grams[b]);
                }
            }
        }
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                double expected = sums[a][b] / Math.sqrt(sums[a][a] * sums[b][b]);
                assertEquals(expected, pipeline.get(a + "," + b), 1e-6, "layers " + a + "," + b);
            }
        }
    }

    /** Song et al. (2012), term by term, in float64. */
    private static double songUnbiasedHsic(double[][] k, double[][] l) {
        int n = k.length;
        double trace = 0;
        double sumK = 0;
        double sumL = 0;
        double oneKLone = 0;
        double[] colL = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double kij = i == j ? 0 : k[i][j];
                double lij = i == j ? 0 : l[i][j];
                trace += kij * (i == j ? 0 : l[j][i]);
                sumK += kij;
                sumL += lij;
                colL[i] += lij;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int m = 0; m < n; m++) {
                oneKLone += (i == m ? 0 : k[i][m]) * colL[m];
            }
        }
        return (trace + sumK * sumL / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * oneKLone) / (n * (n - 3.0));
    }
}
