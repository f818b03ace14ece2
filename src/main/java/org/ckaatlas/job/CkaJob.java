package org.ckaatlas.job;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.ckaatlas.cka.ChannelMean;
import org.ckaatlas.cka.CkaMatrix;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;
import org.ckaatlas.data.BatchPlan;
import org.ckaatlas.data.ImageListing;
import org.ckaatlas.data.ImageRef;
import org.ckaatlas.results.Table;

/**
 * One run, in the order of DESIGN.md's data flow: list images and fix every scope's batches on the
 * driver; executors process whole batches; the driver sums HSIC over batches per scope, merges the
 * channel means, and publishes every table at once.
 */
public final class CkaJob {
    private static final Gson JSON = new GsonBuilder().serializeSpecialFloatingPointValues().serializeNulls().create();

    private CkaJob() {}

    /** The run's images and its batches in every scope, fixed before anything is decoded. */
    record Plan(List<ImageRef> images, BatchPlan global, SortedMap<String, BatchPlan> perLabel,
            SortedMap<String, Integer> labelsTooSmall) {

        /**
         * Work items: global batches first, then each label's. Each image's channel CKA is computed once:
         * in its class batch when class scope runs and its label has one, else in its global batch.
         */
        List<WorkItem> items(RunConfig.Scope scope) {
            List<WorkItem> items = new ArrayList<>();
            if (scope.global()) {
                global.batches().forEach(b -> items.add(new WorkItem(ResultRows.GLOBAL, b, b.images().stream()
                        .filter(i -> !scope.perClass() || !perLabel.containsKey(i.label()))
                        .map(ImageRef::imageId).collect(java.util.stream.Collectors.toSet()))));
            }
            if (scope.perClass()) {
                perLabel.forEach((label, plan) -> plan.batches().forEach(b -> items.add(new WorkItem(
                        ResultRows.classScope(label), b,
                        b.images().stream().map(ImageRef::imageId).collect(java.util.stream.Collectors.toSet())))));
            }
            return items;
        }
    }

    /**
     * @throws UsageException when the run cannot start as configured; nothing is written then
     * @throws IOException when the run fails (too many undecodable images, output not writable); the run is
     *     recorded as failed and none of its other rows are visible
     */
    public static RunSummary run(SparkSession spark, RunConfig config) throws IOException {
        Instant started = Instant.now();
        Map<String, Double> driverSeconds = new LinkedHashMap<>();
        List<AnalysedModel> models = resolveModels(config);
        Plan plan = plan(config, spark.sparkContext().hadoopConfiguration());
        driverSeconds.put("list+plan", seconds(started));
        RunPublisher publisher = new RunPublisher(spark, config.out(), config.runId());
        publisher.begin(ResultRows.run("running", started, null, json(config.toMap()), models(models), 0, 0, 0, 0,
                versions(spark, List.of()), null, null, null));
        try {
            Instant processStart = Instant.now();
            List<PartitionResult> parts = process(spark, config, models, plan, publisher);
            driverSeconds.put("process", seconds(processStart));
            Instant writeStart = Instant.now();
            List<BatchResult> batches = new ArrayList<>();
            StageTimes times = new StageTimes();
            for (PartitionResult part : parts) {
                batches.addAll(part.batches());
                times.merge(part.times());
            }
            batches.sort(Comparator.comparing(BatchResult::scope).thenComparingInt(BatchResult::batch));
            String primary = config.scope().global() ? ResultRows.GLOBAL : null;
            List<BatchResult> imageBatches = batches.stream()
                    .filter(b -> primary == null ? !b.scope().equals(ResultRows.GLOBAL) : b.scope().equals(primary)).toList();
            long ok = imageBatches.stream().mapToLong(BatchResult::n).sum();
            long listed = plan.images().size();
            long analysed = imageBatches.stream().mapToLong(b -> b.images().size()).sum();
            long failed = analysed - ok;
            if (failed > config.maxFailedFraction() * analysed) {
                throw new IOException(String.format(Locale.ROOT,
                        "%d of %d images failed to decode (%.1f%%), above --max-failed-fraction %s; first: %s",
                        failed, analysed, 100.0 * failed / analysed, config.maxFailedFraction(), firstFailure(imageBatches)));
            }

            List<GenericRecord> hsicRows = new ArrayList<>();
            List<GenericRecord> ckaRows = new ArrayList<>();
            Map<String, Object> notes = new LinkedHashMap<>();
            int used = 0;
            int skipped = 0;
            for (String scope : batches.stream().map(BatchResult::scope).distinct().toList()) {
                List<BatchResult> inScope = batches.stream().filter(b -> b.scope().equals(scope)).toList();
                int scopeUsed = (int) inScope.stream().filter(BatchResult::contributes).count();
                used += scopeUsed;
                skipped += inScope.size() - scopeUsed;
                if (scopeUsed == 0) {
                    notes.computeIfAbsent("scopes_without_batches", k -> new ArrayList<String>());
                    ((List<String>) notes.get("scopes_without_batches")).add(scope);
                    continue;
                }
                for (Estimator estimator : config.estimators()) {
                    MinibatchHsic hsic = inScope.stream()
                            .filter(BatchResult::contributes)
                            .map(r -> MinibatchHsic.ofBatch(r.batch(), r.n(), r.hsic().get(estimator)))
                            .reduce(MinibatchHsic.empty(ResultRows.layerCount(models)), MinibatchHsic::merge);
                    CkaMatrix cka = hsic.cka(config.bootstrapResamples(), config.seed());
                    hsicRows.addAll(ResultRows.hsicBatches(scope, estimator, models, hsic));
                    ckaRows.addAll(ResultRows.layerCka(scope, estimator, models, cka));
                }
            }
            if (ckaRows.isEmpty()) {
                throw new IOException("no batch kept 4 decodable images (" + failed + " of " + analysed
                        + " images failed): nothing to compute");
            }
            if (!plan.labelsTooSmall().isEmpty() && config.scope().perClass()) {
                notes.put("labels_too_small_for_class_scope", plan.labelsTooSmall());
            }

            publisher.stage(Table.IMAGES, ResultRows.images(imageBatches, plan, primary == null));
            publisher.stage(Table.LAYERS, ResultRows.layers(models));
            publisher.stage(Table.HSIC_BATCHES, hsicRows);
            publisher.stage(Table.LAYER_CKA, ckaRows);
            List<Table> staged = new ArrayList<>(List.of(Table.IMAGES, Table.LAYERS, Table.HSIC_BATCHES, Table.LAYER_CKA));
            if (config.channelCka() != RunConfig.ChannelMode.OFF) {
                staged.add(Table.CHANNEL_CKA);
            }
            if (config.channelCka() == RunConfig.ChannelMode.MEAN || config.channelCka() == RunConfig.ChannelMode.IMAGES) {
                publisher.stage(Table.CHANNEL_CKA_MEAN, ResultRows.channelMeans(mergeMeans(parts)));
                staged.add(Table.CHANNEL_CKA_MEAN);
            }
            if (config.featureGrids() > 0) {
                publisher.stageRows(Table.FEATURE_GRIDS, spark.createDataFrame(
                        parts.stream().flatMap(p -> p.featureGrids().stream()).toList(),
                        RowCodec.sparkSchema(Table.FEATURE_GRIDS.schema())));
                staged.add(Table.FEATURE_GRIDS);
            }
            Map<String, Object> stages = new LinkedHashMap<>(driverSeconds);
            stages.put("executors (task-seconds)", times.seconds());
            driverSeconds.put("write", seconds(writeStart));
            stages.put("write", driverSeconds.get("write"));
            Instant finished = Instant.now();
            publisher.publish(staged, ResultRows.run("succeeded", started, finished, json(config.toMap()), models(models),
                    ok, failed, used, skipped, versions(spark, batches), null, json(stages), notes.isEmpty() ? null : json(notes)));
            List<String> warnings = new ArrayList<>();
            if (notes.containsKey("labels_too_small_for_class_scope")) {
                warnings.add("class scope: labels with fewer than 4 images have no class rows: "
                        + notes.get("labels_too_small_for_class_scope"));
            }
            if (notes.containsKey("scopes_without_batches")) {
                warnings.add("no batch kept 4 decodable images in: " + notes.get("scopes_without_batches"));
            }
            return new RunSummary(config.runId(), config.out(), ok, failed, used, skipped,
                    Duration.between(started, finished).toMillis() / 1000.0, warnings);
        } catch (IOException | RuntimeException e) {
            publisher.fail(ResultRows.run("failed", started, Instant.now(), json(config.toMap()), models(models), 0, 0,
                    0, 0, versions(spark, List.of()), String.valueOf(e.getMessage()), null, null));
            throw e;
        }
    }

    /** Executors process whole batches; per-image channel rows are written from there, the rest comes home. */
    private static List<PartitionResult> process(SparkSession spark, RunConfig config, List<AnalysedModel> models,
            Plan plan, RunPublisher publisher) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<WorkItem> items = plan.items(config.scope());
        int partitions = Math.max(1, Math.min(items.size(), 4 * jsc.defaultParallelism()));
        LongAccumulator done = jsc.sc().longAccumulator("images processed");
        BatchProcessor processor = new BatchProcessor(config, models,
                new HadoopConf(spark.sparkContext().hadoopConfiguration()), SparkSessions.tasksPerExecutor(spark),
                gridImages(plan.images(), config.featureGrids(), config.seed()), done);
        JavaRDD<PartitionResult> results = jsc.parallelize(items, partitions).mapPartitions(processor)
                .persist(StorageLevel.MEMORY_AND_DISK());
        long total = items.stream().mapToLong(i -> i.batch().images().size()).sum();
        try (Progress progress = Progress.start(done, total, config.quiet())) {
            List<PartitionResult> parts = results.map(PartitionResult::withoutChannelRows).collect();
            if (config.channelCka() != RunConfig.ChannelMode.OFF) {
                publisher.stageRows(Table.CHANNEL_CKA, spark.createDataFrame(
                        results.flatMap(p -> p.channelRows().iterator()), RowCodec.sparkSchema(Table.CHANNEL_CKA.schema())));
            }
            return parts;
        } finally {
            results.unpersist(false);
        }
    }

    /**
     * Images whose every layer gets a feature-map grid: one per label in turn (labels in order, each
     * label's images in a seeded order) until {@code count} are chosen.
     */
    static Set<String> gridImages(List<ImageRef> images, int count, long seed) {
        SortedMap<String, List<String>> byLabel = new TreeMap<>();
        for (ImageRef image : images) {
            byLabel.computeIfAbsent(image.label(), k -> new ArrayList<>()).add(image.imageId());
        }
        byLabel.values().forEach(ids -> java.util.Collections.shuffle(ids, new java.util.Random(seed)));
        Set<String> chosen = new HashSet<>();
        for (int round = 0; chosen.size() < Math.min(count, images.size()); round++) {
            for (List<String> ids : byLabel.values()) {
                if (round < ids.size() && chosen.size() < count) {
                    chosen.add(ids.get(round));
                }
            }
        }
        return chosen;
    }

    private static Map<String, ChannelMean> mergeMeans(List<PartitionResult> parts) {
        Map<String, ChannelMean> merged = new TreeMap<>();
        for (PartitionResult part : parts) {
            part.channelMeans().forEach((key, mean) -> merged.merge(key, mean, ChannelMean::merge));
        }
        return merged;
    }

    /** Lists the images and cuts every scope's batches, on the driver, before anything is written. */
    static Plan plan(RunConfig config, Configuration hadoop) {
        List<ImageRef> images;
        try {
            images = ImageListing.list(config.data(), hadoop);
        } catch (FileNotFoundException e) {
            throw new UsageException("--data " + config.data() + ": no such folder");
        } catch (IOException e) {
            throw new UsageException("--data " + config.data() + ": " + e.getMessage());
        }
        try {
            BatchPlan global = BatchPlan.of(images, config.batchSize(), config.seed());
            SortedMap<String, Integer> tooSmall = new TreeMap<>();
            SortedMap<String, BatchPlan> perLabel = config.scope().perClass()
                    ? BatchPlan.perLabel(images, config.batchSize(), config.seed(), tooSmall) : new TreeMap<>();
            if (config.scope() == RunConfig.Scope.CLASS && perLabel.isEmpty()) {
                throw new UsageException("--scope class: no label has 4 images (" + tooSmall + ")");
            }
            return new Plan(images, global, perLabel, tooSmall);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--data " + config.data() + ": " + e.getMessage());
        }
    }

    private static String firstFailure(List<BatchResult> results) {
        return results.stream().flatMap(r -> r.images().stream()).filter(i -> !i.isOk()).findFirst()
                .map(i -> i.imageId() + " (" + i.error() + ")").orElse("none");
    }

    /** Model A and, with --compare, model B, with their analysed layers; checked before anything runs. */
    static List<AnalysedModel> resolveModels(RunConfig config) {
        List<AnalysedModel> models = new ArrayList<>();
        models.add(AnalysedModel.resolve(ResultRows.MODEL_A, config.model(), config.layers(), "--layers"));
        if (config.compare() != null) {
            AnalysedModel b = AnalysedModel.resolve(ResultRows.MODEL_B, config.compare(), config.compareLayers(), "--compare-layers");
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

    /** Software and machine, and per executor JVM: its device and how many models it built. */
    private static String versions(SparkSession spark, List<BatchResult> results) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("cka_atlas", String.valueOf(CkaJob.class.getPackage().getImplementationVersion()));
        v.put("java", System.getProperty("java.version"));
        v.put("spark", spark.version());
        v.put("master", spark.sparkContext().master());
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        v.put("driver_cores", Runtime.getRuntime().availableProcessors());
        Map<String, Map<String, Object>> executors = new TreeMap<>();
        for (BatchResult r : results) {
            BatchResult.Executor e = r.executor();
            Map<String, Object> entry = executors.computeIfAbsent(e.executorId() + "/" + e.pid(), k -> new LinkedHashMap<>());
            entry.put("device", e.device());
            entry.put("assigned_gpu", e.assignedGpu());
            if (e.deviceNote() != null) {
                entry.put("device_note", e.deviceNote());
            }
            entry.put("engine", e.engine());
            entry.merge("model_loads", e.modelLoads(), (x, y) -> Math.max((Integer) x, (Integer) y));
            entry.merge("batches", 1, (x, y) -> (Integer) x + (Integer) y);
        }
        v.put("executors", executors);
        return json(v);
    }
}
