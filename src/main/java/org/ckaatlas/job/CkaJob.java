package org.ckaatlas.job;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.ckaatlas.analysis.AnalysedModel;
import org.ckaatlas.analysis.BatchResult;
import org.ckaatlas.analysis.ChannelSum;
import org.ckaatlas.analysis.NullSum;
import org.ckaatlas.analysis.ResultRows;
import org.ckaatlas.analysis.RunConfig;
import org.ckaatlas.analysis.RunFailedException;
import org.ckaatlas.analysis.RunPlan;
import org.ckaatlas.analysis.RunResult;
import org.ckaatlas.analysis.RunSummary;
import org.ckaatlas.analysis.RunTables;
import org.ckaatlas.analysis.StageTimes;
import org.ckaatlas.analysis.TaskOutput;
import org.ckaatlas.analysis.UsageException;
import org.ckaatlas.analysis.WorkItem;
import org.ckaatlas.cka.ChannelMean;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;
import org.ckaatlas.cka.PermutationNull;
import org.ckaatlas.results.RunLockLostException;
import org.ckaatlas.results.RunLockedException;
import org.ckaatlas.results.RunPublisher;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.Vocabulary;
import scala.Tuple2;

/**
 * One run, as DESIGN.md's data flow: plan on the driver; executors process whole batches, write what is
 * image- or channel-sized themselves and send home only each batch's small result; the driver reduces
 * those to CKA and publishes every table at once. The work itself is in {@code org.ckaatlas.analysis};
 * this class is the Spark wiring.
 */
public final class CkaJob {
    private static final Gson JSON = new GsonBuilder().serializeSpecialFloatingPointValues().serializeNulls().disableHtmlEscaping().create();
    /** How often the driver proves it is alive (lock and running row). */
    static final int HEARTBEAT_SECONDS = Integer.getInteger("ckaatlas.heartbeatSeconds", 10);

    private CkaJob() {}

    /**
     * @throws UsageException when the run cannot start as configured, or its id is running elsewhere;
     *     nothing is written then
     * @throws RunFailedException when the run fails after it started (any exception, error or stop
     *     signal): its attempt is recorded as failed with a one-line reason, and a run published
     *     earlier under the same id stays as it was
     */
    public static RunSummary run(SparkSession spark, RunConfig config) throws IOException {
        Instant started = Instant.now();
        Map<String, Object> stages = new LinkedHashMap<>();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<AnalysedModel> models = resolveModels(config);
        RunPlan plan = RunPlan.of(config, hadoop);
        stages.put("list+plan", seconds(started));
        try (RunStopper stop = RunStopper.watch(spark); RunPublisher publisher = open(config, hadoop)) {
            GenericRecordBuilder row = ResultRows.run(Vocabulary.RUNNING, started, json(config.toMap()), models(models),
                    publisher.holder()).set("versions", versions(spark, RunResult.empty()));
            publisher.onLockLost(stop::stopQuietly); // paused or cut off near the stale bound: this attempt stops, writing nothing
            publisher.running(row.build());
            try {
                Instant processStart = Instant.now();
                RunResult result = process(spark, config, models, plan, publisher, stop);
                stages.put("process", seconds(processStart));
                Instant writeStart = Instant.now();
                stop.check();
                RunTables tables = RunTables.of(config, models, plan, result);
                publisher.stage(Table.IMAGES, tables.images());
                publisher.stage(Table.LAYERS, tables.layers());
                publisher.stage(Table.HSIC_BATCHES, tables.hsicBatches());
                publisher.stage(Table.LAYER_CKA, tables.layerCka());
                stages.put("executors (task-seconds)", result.times().seconds());
                stages.put("per executor", perExecutor(result));
                stages.put("write", seconds(writeStart));
                stop.check();
                Instant finished = Instant.now();
                List<Table> published = publisher.publish(row.set("status", Vocabulary.SUCCEEDED)
                        .set("finished_at", finished.toEpochMilli())
                        .set("images_ok", tables.imagesOk())
                        .set("images_failed", tables.imagesFailed())
                        .set("batches", tables.batches())
                        .set("batches_skipped", tables.batchesSkipped())
                        .set("versions", versions(spark, result))
                        .set("stages", json(stages))
                        .set("notes", tables.notes().isEmpty() ? null : json(tables.notes()))
                        .build());
                return new RunSummary(config.runId(), config.out(), tables.imagesOk(), tables.imagesFailed(),
                        tables.batches(), tables.batchesSkipped(), Duration.between(started, finished).toMillis() / 1000.0,
                        tables.warnings(), published.stream().map(Table::dirName).toList());
            } catch (Throwable t) {
                if (publisher.committed()) {
                    // committed: nothing may unpublish it; the next writer into --out finishes the moves
                    throw new RunFailedException("committed, but moving its tables into place failed ("
                            + FailureReason.of(t, null) + "): its runs row says publishing until the next run into "
                            + config.out() + " finishes the move", t);
                }
                String reason = FailureReason.of(t, stop.reason());
                try {
                    publisher.fail(row.set("status", Vocabulary.FAILED).set("finished_at", System.currentTimeMillis())
                            .set("error", reason).build());
                } catch (RunLockLostException lost) {
                    // paused or cut off, then taken over: that is why it failed, and the runs row is the new holder's
                    reason = lost.getMessage();
                } catch (Throwable unrecorded) {
                    // e.g. the disk is still full: the row keeps saying running, its heartbeat stops, and
                    // readers see it abandoned; say here why
                    t.addSuppressed(unrecorded);
                    reason += "; and the failure could not be recorded in runs (" + FailureReason.of(unrecorded, null) + ")";
                }
                throw new RunFailedException(reason, t);
            }
        }
    }

    private static RunPublisher open(RunConfig config, Configuration hadoop) throws IOException {
        try {
            return RunPublisher.open(config.out(), config.runId(), hadoop, HEARTBEAT_SECONDS);
        } catch (RunLockedException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * Executors analyse whole batches and stream their outputs; what they write themselves goes to the
     * attempt's staging folder. Back come the batches' small results (one reduce) and, with channel
     * means, the partial sums are combined by key and written on the executors (a second job over the
     * same, disk-persisted outputs: nothing is computed twice).
     */
    static final int BATCHES_PER_TASK = 8;

    private static RunResult process(SparkSession spark, RunConfig config, List<AnalysedModel> models, RunPlan plan,
            RunPublisher publisher, RunStopper stop) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        HadoopConf hadoop = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        List<WorkItem> items = plan.items(config.scope());
        int partitions = partitions(items.size(), jsc.defaultParallelism());
        LongAccumulator done = jsc.sc().longAccumulator("images processed");
        BatchTask task = new BatchTask(config, models, plan.gridImages(), hadoop, SparkSessions.tasksPerExecutor(spark), done,
                config.channelCka().rows() ? publisher.stagingDir(Table.CHANNEL_CKA).toString() : null,
                config.featureGrids() > 0 ? publisher.stagingDir(Table.FEATURE_GRIDS).toString() : null);
        JavaRDD<TaskOutput> outputs = jsc.parallelize(items, partitions).mapPartitions(task)
                .persist(StorageLevel.DISK_ONLY());
        try (Progress progress = Progress.start(done, items, plan.images().size(), config.quiet());
                ScheduleWatch watch = ScheduleWatch.start(spark, stop)) {
            RunResult result = outputs.filter(o -> o instanceof BatchResult)
                    .map(o -> RunResult.of((BatchResult) o))
                    .fold(RunResult.empty(), RunResult::merge);
            if (config.channelCka().means()) {
                String dir = publisher.stagingDir(Table.CHANNEL_CKA_MEAN).toString();
                String groups = publisher.stagingDir(Table.CHANNEL_GROUPS).toString();
                outputs.filter(o -> o instanceof ChannelSum)
                        .mapToPair(o -> new Tuple2<>(((ChannelSum) o).key(), ((ChannelSum) o).sum()))
                        .reduceByKey(ChannelMean::merge, meanPartitions(models, plan, jsc))
                        .foreachPartition(new ChannelMeanWriter(dir, groups, config.redundancyThreshold(), hadoop));
            }
            return config.permutations() > 0 ? result.withPValues(pValues(outputs, result, models)) : result;
        } finally {
            outputs.unpersist(false);
        }
    }

    /**
     * The permutation null: each batch's permuted HSIC summed by scope on the executors, each scope's
     * p-values computed there against its real sums (small, from the driver); only p-values come back.
     */
    private static Map<String, double[][]> pValues(JavaRDD<TaskOutput> outputs, RunResult result, List<AnalysedModel> models) {
        Map<String, double[][]> real = new HashMap<>();
        for (String scope : result.scopes()) {
            MinibatchHsic hsic = result.hsic(scope, Estimator.UNBIASED, ResultRows.layerCount(models));
            if (hsic.batchCount() > 0) {
                real.put(scope, hsic.sums());
            }
        }
        return outputs.filter(o -> o instanceof NullSum)
                .mapToPair(o -> new Tuple2<>(((NullSum) o).scope(), ((NullSum) o).sum()))
                .reduceByKey(PermutationNull::plus)
                .mapToPair(t -> new Tuple2<>(t._1(), t._2().pValues(real.get(t._1()))))
                .collectAsMap();
    }

    /**
     * Tasks for the batches: at least one per slot and up to four (stragglers, retries), but each with
     * {@link #BATCHES_PER_TASK} batches where there are enough: a task's first batch is the one whose
     * decoding no forward hides.
     */
    static int partitions(int batches, int slots) {
        int wanted = Math.max(slots, batches / BATCHES_PER_TASK);
        return Math.max(1, Math.min(batches, Math.min(wanted, 4 * slots)));
    }

    /**
     * Reduce partitions for the channel means: ~32 MB of sums each (a 512-channel layer is 4 MB), so no
     * task holds many labels' matrices at once.
     */
    private static int meanPartitions(List<AnalysedModel> models, RunPlan plan, JavaSparkContext jsc) {
        long perScope = models.stream().flatMap(m -> m.layers().stream())
                .mapToLong(l -> 16L * l.channels() * l.channels()).sum();
        long bytes = perScope * (1 + plan.perLabel().size());
        return (int) Math.max(jsc.defaultParallelism(), Math.min(10_000, bytes / (32L << 20) + 1));
    }

    /** Model A and, with --compare, model B, with their analysed layers; checked before anything runs. */
    static List<AnalysedModel> resolveModels(RunConfig config) {
        List<AnalysedModel> models = new ArrayList<>();
        models.add(AnalysedModel.resolve(Vocabulary.MODEL_A, config.model(), config.layers(), "--layers"));
        if (config.compare() != null) {
            AnalysedModel b = AnalysedModel.resolve(Vocabulary.MODEL_B, config.compare(), config.compareLayers(), "--compare-layers");
            if (b.inputSize() != models.get(0).inputSize()) {
                throw new UsageException("--compare " + config.compare() + " takes " + b.inputSize() + "x" + b.inputSize()
                        + " images, --model " + config.model() + " takes " + models.get(0).inputSize() + ": they must match");
            }
            models.add(b);
        }
        return models;
    }

    private static double seconds(Instant since) {
        return Duration.between(since, Instant.now()).toMillis() / 1000.0;
    }

    private static String json(Object value) {
        return JSON.toJson(value);
    }

    private static String models(List<AnalysedModel> models) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (AnalysedModel model : models) {
            m.put(model.label(), model.identity());
        }
        return json(m);
    }

    /**
     * Per executor JVM: how long its forwards waited for decoded input, and its images per second of
     * batch wall time per task (a GPU executor whose decode wait is large needs more cores per task).
     */
    private static Map<String, Map<String, Object>> perExecutor(RunResult result) {
        Map<String, Map<String, Object>> m = new TreeMap<>();
        Map<String, Integer> images = result.imagesByExecutor();
        result.timesByExecutor().forEach((jvm, times) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            double wall = times.seconds(StageTimes.BATCH_WALL);
            entry.put("images", images.get(jvm));
            entry.put("decode wait", Math.round(times.seconds(StageTimes.DECODE_WAIT) * 1e3) / 1e3);
            entry.put("batch wall", Math.round(wall * 1e3) / 1e3);
            entry.put("images/s per task", wall == 0 ? null : Math.round(images.get(jvm) / wall * 100) / 100.0);
            m.put(jvm, entry);
        });
        return m;
    }

    /** Software and machine, and per executor JVM: its device and how many models it built. */
    private static String versions(SparkSession spark, RunResult result) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("cka_atlas", Version.get());
        v.put("java", System.getProperty("java.version"));
        v.put("spark", spark.version());
        v.put("master", spark.sparkContext().master());
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        v.put("driver_cores", Runtime.getRuntime().availableProcessors());
        Map<String, Map<String, Object>> executors = new TreeMap<>();
        result.executors().forEach((jvm, batches) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            BatchResult.Executor e = batches.get(batches.size() - 1);
            entry.put("device", e.device());
            entry.put("assigned_gpu", e.assignedGpu());
            if (e.deviceNote() != null) {
                entry.put("device_note", e.deviceNote());
            }
            entry.put("layout", e.layout());
            entry.put("engine", e.engine());
            entry.put("model_loads", batches.stream().mapToInt(BatchResult.Executor::modelLoads).max().orElse(0));
            entry.put("batches", batches.size());
            executors.put(jvm, entry);
        });
        v.put("executors", executors);
        return json(v);
    }
}
