package org.ckaatlas.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real multi-process Spark: local-cluster[2,1,1024] starts two executor JVMs (SPARK_HOME is the project's
 * own Spark jars, target/spark-home). The results must not depend on them, an executor may die, and
 * executors given (fake) GPUs without CUDA fall back to the CPU and say so.
 */
class ClusterTest {
    @TempDir
    static Path dir;

    static Path data;

    @BeforeAll
    static void sampleData() throws Exception {
        data = dir.resolve("data");
        SampleData.write(data, 3, 8, 12);
    }

    /** What executor JVMs need: our classes and jars, and the flags every JVM here gets. */
    private static List<String> executorConf() throws Exception {
        String classpath = Path.of("target/classes").toAbsolutePath() + ":" + Files.readString(Path.of("target/classpath-runtime.txt")).strip();
        return List.of("--conf", "spark.executor.extraClassPath=" + classpath,
                "--conf", "spark.executor.extraJavaOptions=" + System.getProperty("ckaatlas.executorJavaOptions"),
                "--conf", "spark.executorEnv.OPT_OUT_TRACKING=true",
                "--conf", "spark.executorEnv.GLIBC_TUNABLES=glibc.malloc.hugetlb=1",
                "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1");
    }

    /**
     * The job starts once both executors have registered: otherwise the first to register can finish every
     * task before the second exists (Spark's standalone default waits for none).
     */
    private static List<String> bothExecutors(int cores) {
        return List.of("--conf", "spark.cores.max=" + cores, "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s");
    }

    private static void run(String master, String runId, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("run", "--data", data.toString(), "--out", dir.resolve("out").toString(),
                "--run-id", runId, "--batch-size", "4", "--master", master, "--quiet", "--no-render", "--bootstrap", "0"));
        args.addAll(extra);
        Cli.expect(0, args);
    }

    private static Map<String, Double> numbers(SparkSession spark, String runId) {
        Map<String, Double> m = new TreeMap<>();
        for (Row r : spark.sql("SELECT concat(scope, model_x, layer_x, model_y, layer_y), cka FROM layer_cka WHERE run_id = '"
                + runId + "'").collectAsList()) {
            m.put("cka " + r.getString(0), r.getDouble(1));
        }
        if (!spark.catalog().tableExists("channel_cka_mean")) {
            return m;
        }
        for (Row r : spark.sql("SELECT concat(scope, model, layer, ' ', pos), CAST(v AS DOUBLE) FROM channel_cka_mean "
                + "LATERAL VIEW posexplode(matrix) t AS pos, v WHERE run_id = '" + runId + "' AND NOT isnan(v)").collectAsList()) {
            m.put("mean " + r.getString(0), r.getDouble(1));
        }
        return m;
    }

    private static String shell(String command) {
        try {
            Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (Exception e) {
            return "";
        }
    }

    private static JsonObject executors(SparkSession spark, String runId) {
        String versions = spark.sql("SELECT versions FROM runs WHERE run_id = '" + runId + "'").first().getString(0);
        return JsonParser.parseString(versions).getAsJsonObject().getAsJsonObject("executors");
    }

    private static SparkSession readBack() {
        SparkSession spark = SparkSessions.create("local[1]", "read back");
        for (String table : List.of("runs", "layer_cka", "channel_cka_mean", "images")) {
            if (Files.isDirectory(dir.resolve("out").resolve(table))) {
                spark.read().parquet(dir.resolve("out").resolve(table).toString()).createOrReplaceTempView(table);
            }
        }
        return spark;
    }

    @Test
    void twoExecutorJvmsGiveTheNumbersOfOneAndBuildOneModelEach() throws Exception {
        run("local[1]", "single", List.of("--model", Cli.TINY_MODEL));
        List<String> extra = new ArrayList<>(executorConf());
        extra.addAll(bothExecutors(2));
        extra.addAll(List.of("--model", Cli.TINY_MODEL));
        run("local-cluster[2,1,1024]", "cluster", extra);
        SparkSession spark = readBack();
        try {
            Map<String, Double> single = numbers(spark, "single");
            Map<String, Double> cluster = numbers(spark, "cluster");
            assertEquals(single.keySet(), cluster.keySet());
            // the same threads per task (libtorch gets both cores in each): the same float32 sums, bit for bit;
            // channel means are float64 sums merged in shuffle order, equal to their float32 rounding
            single.forEach((k, v) -> assertEquals(v, cluster.get(k), k.startsWith("cka") ? 0 : 1e-6, k));
            JsonObject executors = executors(spark, "cluster");
            assertEquals(2, executors.size(), executors.toString());
            executors.entrySet().forEach(e -> assertEquals(1, e.getValue().getAsJsonObject().get("model_loads").getAsInt(),
                    "one model per executor JVM, not per task: " + executors));
        } finally {
            spark.stop();
        }
    }

    @Test
    void anExecutorKilledMidJobLosesNoBatchAndTheNumbersAreTheUndisturbedOnes() throws Exception {
        List<String> extra = new ArrayList<>(executorConf());
        extra.addAll(List.of("--model", "vgg11", "--channel-cka", "off"));
        CompletableFuture<Long> killer = CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                // an executor 5 s into its life: started, model built, its first batches in flight
                for (String pid : shell("pgrep -f CoarseGrainedExecutorBackend").lines().toList()) {
                    String age = shell("ps -o etimes= -p " + pid).strip();
                    if (!age.isEmpty() && Integer.parseInt(age) >= 5) {
                        shell("kill -9 " + pid);
                        return System.nanoTime();
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return Long.MAX_VALUE;
                }
            }
            return Long.MAX_VALUE;
        });
        run("local-cluster[2,1,1024]", "killed", extra);
        long ended = System.nanoTime();
        assertTrue(killer.get(70, TimeUnit.SECONDS) < ended, "an executor was killed while the job ran");
        run("local[2]", "undisturbed", List.of("--model", "vgg11", "--channel-cka", "off"));
        SparkSession spark = readBack();
        try {
            Map<String, Double> killed = numbers(spark, "killed");
            Map<String, Double> undisturbed = numbers(spark, "undisturbed");
            assertEquals(undisturbed.keySet(), killed.keySet());
            undisturbed.forEach((k, v) -> assertEquals(v, killed.get(k), 1e-9, k));
            assertEquals(24L, spark.sql("SELECT count(*) FROM images WHERE run_id = 'killed'").first().getLong(0), "no duplicates");
            // the lost task ran again on the survivor or on the replacement, whichever was free first: the facts
            // (of finished tasks only) count each of the 6 batches once, not the lost attempt's too
            JsonObject executors = executors(spark, "killed");
            assertEquals(6, executors.entrySet().stream().mapToInt(e -> e.getValue().getAsJsonObject().get("batches").getAsInt()).sum(),
                    executors.toString());
        } finally {
            spark.stop();
        }
    }

    @Test
    void fakeGpusAreAssignedPerTaskAndAutoFallsBackToTheCpuSayingSo() throws Exception {
        Path discovery = dir.resolve("gpus.sh");
        Files.writeString(discovery, "#!/usr/bin/env bash\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
        discovery.toFile().setExecutable(true);
        List<String> extra = new ArrayList<>(executorConf());
        extra.addAll(bothExecutors(4));
        extra.addAll(List.of("--model", Cli.TINY_MODEL, "--device", "auto",
                "--conf", "spark.worker.resource.gpu.amount=2",
                "--conf", "spark.worker.resource.gpu.discoveryScript=" + discovery,
                "--conf", "spark.executor.resource.gpu.amount=1",
                "--conf", "spark.task.resource.gpu.amount=1"));
        run("local-cluster[2,2,1024]", "gpus", extra);
        SparkSession spark = readBack();
        try {
            JsonObject executors = executors(spark, "gpus");
            assertEquals(2, executors.size(), executors.toString());
            for (var e : executors.entrySet()) {
                JsonObject x = e.getValue().getAsJsonObject();
                assertTrue(x.get("assigned_gpu").getAsString().matches("[01]"), executors.toString());
                assertEquals("cpu()", x.get("device").getAsString());
                assertTrue(x.get("device_note").getAsString().contains("CUDA is not usable"), executors.toString());
                // the layout follows the device the forward actually ran on: the CPU's blocked one
                assertEquals("blocked", x.get("layout").getAsString(), executors.toString());
            }
            // how long each executor's forwards waited for decoded input, and its rate: whether a GPU has enough cores
            String stages = spark.sql("SELECT stages FROM runs WHERE run_id = 'gpus'").first().getString(0);
            JsonObject perExecutor = JsonParser.parseString(stages).getAsJsonObject().getAsJsonObject("per executor");
            assertEquals(executors.keySet(), perExecutor.keySet(), stages);
            int images = 0;
            for (var e : perExecutor.entrySet()) {
                JsonObject x = e.getValue().getAsJsonObject();
                assertTrue(x.get("decode wait").getAsDouble() >= 0 && x.get("images/s per task").getAsDouble() > 0, stages);
                assertTrue(x.get("decode wait").getAsDouble() <= x.get("batch wall").getAsDouble(), stages);
                images += x.get("images").getAsInt();
            }
            assertEquals(spark.sql("SELECT count(*) FROM images WHERE run_id = 'gpus'").first().getLong(0), images, stages);
        } finally {
            spark.stop();
        }
    }

    @Test
    void twentyLabelsOfAWideModelOnOneGigabyteExecutorsMeansFromTheExecutorsAndTheSameGrids() throws Exception {
        Path wide = dir.resolve("wide");
        SampleData.write(wide, 20, 4, 9);
        List<String> flags = List.of("--model", "vgg11:seed=0,input=32", "--layers", "conv1,conv3,conv5",
                "--scope", "both", "--channel-cka", "images", "--feature-grids", "6");
        List<String> extra = new ArrayList<>(executorConf());
        extra.addAll(flags);
        Path out = dir.resolve("wide-out");
        for (String[] run : new String[][] {{"local-cluster[2,1,1024]", "wide-cluster"}, {"local[1]", "wide-single"}}) {
            List<String> args = new ArrayList<>(List.of("run", "--data", wide.toString(), "--out", out.toString(),
                    "--run-id", run[1], "--batch-size", "4", "--master", run[0], "--quiet", "--no-render", "--bootstrap", "0"));
            args.addAll(run[0].startsWith("local-cluster") ? extra : flags);
            Cli.expect(0, args);
        }
        org.ckaatlas.results.ResultReader reader = new org.ckaatlas.results.ResultReader(out.toString(),
                new org.apache.hadoop.conf.Configuration());
        // every mean is the entry-wise mean of the stored per-image matrices over the scope's images
        Map<String, double[]> sums = new TreeMap<>();
        Map<String, long[]> counts = new TreeMap<>();
        for (var row : reader.read(org.ckaatlas.results.Table.CHANNEL_CKA, "wide-cluster")) {
            List<?> matrix = (List<?>) row.get("matrix");
            for (String scope : List.of("global", "class:" + row.get("label"))) {
                String key = scope + " " + row.get("model") + " " + row.get("layer");
                double[] sum = sums.computeIfAbsent(key, k -> new double[matrix.size()]);
                long[] count = counts.computeIfAbsent(key, k -> new long[matrix.size()]);
                for (int i = 0; i < sum.length; i++) {
                    float v = (Float) matrix.get(i);
                    if (!Float.isNaN(v)) {
                        sum[i] += v;
                        count[i]++;
                    }
                }
            }
        }
        var means = reader.read(org.ckaatlas.results.Table.CHANNEL_CKA_MEAN, "wide-cluster");
        assertEquals(21 * 3, means.size(), "global and 20 labels, 3 layers each");
        for (var row : means) {
            String key = row.get("scope") + " " + row.get("model") + " " + row.get("layer");
            List<?> matrix = (List<?>) row.get("matrix");
            for (int i = 0; i < matrix.size(); i++) {
                float stored = (Float) matrix.get(i);
                long n = counts.get(key)[i];
                assertEquals(n == 0 ? Double.NaN : sums.get(key)[i] / n, stored, 1e-6, key + " entry " + i);
            }
        }
        Map<String, String> grids = new TreeMap<>();
        for (var row : reader.read(org.ckaatlas.results.Table.FEATURE_GRIDS, "wide-single")) {
            grids.put(row.get("image_id") + " " + row.get("layer"), png(row.get("png")));
        }
        Map<String, String> clusterGrids = new TreeMap<>();
        for (var row : reader.read(org.ckaatlas.results.Table.FEATURE_GRIDS, "wide-cluster")) {
            clusterGrids.put(row.get("image_id") + " " + row.get("layer"), png(row.get("png")));
        }
        assertEquals(6 * 3, grids.size());
        assertEquals(grids, clusterGrids, "the same PNG bytes");
    }

    private static String png(Object bytes) {
        java.nio.ByteBuffer b = ((java.nio.ByteBuffer) bytes).duplicate();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return java.util.HexFormat.of().formatHex(a);
    }
}
