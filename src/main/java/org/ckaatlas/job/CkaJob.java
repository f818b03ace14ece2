package org.ckaatlas.job;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.avro.generic.GenericRecord;
import org.ckaatlas.cka.CkaMatrix;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;
import org.ckaatlas.data.BatchPlan;
import org.ckaatlas.data.ImageListing;
import org.ckaatlas.data.ImageRef;
import org.ckaatlas.results.Table;

/**
 * One run, in the order of DESIGN.md's data flow: list images, fix the batches, process whole batches
 * on the executors, sum HSIC over batches on the driver, publish every table at once.
 */
public final class CkaJob {
    private static final Gson JSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private CkaJob() {}

    /**
     * @throws UsageException when the run cannot start as configured; nothing is written then
     * @throws IOException when the output cannot be written; the run is recorded as failed where possible
     */
    public static RunSummary run(SparkSession spark, RunConfig config) throws IOException {
        Instant started = Instant.now();
        List<AnalysedModel> models = resolveModels(config);
        BatchPlan plan = planBatches(config, spark.sparkContext().hadoopConfiguration());
        RunPublisher publisher = new RunPublisher(spark, config.out(), config.runId());
        publisher.begin(ResultRows.run("running", started, null, json(config.toMap()), models(models), 0, 0, 0, 0,
                versions(spark, List.of()), null));
        try {
            List<BatchResult> results = processBatches(spark, plan, config, models);
            long ok = results.stream().mapToLong(BatchResult::n).sum();
            long failed = plan.imageCount() - ok;
            int used = (int) results.stream().filter(BatchResult::contributes).count();
            int skipped = results.size() - used;
            if (failed > config.maxFailedFraction() * plan.imageCount()) {
                throw new IOException(String.format(java.util.Locale.ROOT,
                        "%d of %d images failed to decode (%.1f%%), above --max-failed-fraction %s; first: %s",
                        failed, plan.imageCount(), 100.0 * failed / plan.imageCount(), config.maxFailedFraction(),
                        firstFailure(results)));
            }
            if (used == 0) {
                throw new IOException("no batch kept 4 decodable images (" + failed + " of " + plan.imageCount()
                        + " images failed): nothing to compute");
            }
            List<GenericRecord> hsicRows = new ArrayList<>();
            List<GenericRecord> ckaRows = new ArrayList<>();
            for (Estimator estimator : config.estimators()) {
                MinibatchHsic hsic = results.stream()
                        .filter(BatchResult::contributes)
                        .map(r -> MinibatchHsic.ofBatch(r.batch(), r.n(), r.hsic().get(estimator)))
                        .reduce(MinibatchHsic.empty(ResultRows.layerCount(models)), MinibatchHsic::merge);
                CkaMatrix cka = hsic.cka(config.bootstrapResamples(), config.seed());
                hsicRows.addAll(ResultRows.hsicBatches(ResultRows.GLOBAL, estimator, models, hsic));
                ckaRows.addAll(ResultRows.layerCka(ResultRows.GLOBAL, estimator, models, cka));
            }

            publisher.stage(Table.IMAGES, ResultRows.images(results));
            publisher.stage(Table.LAYERS, ResultRows.layers(models));
            publisher.stage(Table.HSIC_BATCHES, hsicRows);
            publisher.stage(Table.LAYER_CKA, ckaRows);
            Instant finished = Instant.now();
            publisher.publish(List.of(Table.IMAGES, Table.LAYERS, Table.HSIC_BATCHES, Table.LAYER_CKA),
                    ResultRows.run("succeeded", started, finished, json(config.toMap()), models(models), ok, failed,
                            used, skipped, versions(spark, results), null));
            return new RunSummary(config.runId(), config.out(), ok, failed, used, skipped,
                    Duration.between(started, finished).toMillis() / 1000.0);
        } catch (IOException | RuntimeException e) {
            publisher.fail(ResultRows.run("failed", started, Instant.now(), json(config.toMap()), models(models), 0, 0,
                    0, 0, versions(spark, List.of()), String.valueOf(e.getMessage())));
            throw e;
        }
    }

    /** Lists the images and cuts them into batches, on the driver, before anything is written. */
    static BatchPlan planBatches(RunConfig config, Configuration hadoop) {
        List<ImageRef> images;
        try {
            images = ImageListing.list(config.data(), hadoop);
        } catch (FileNotFoundException e) {
            throw new UsageException("--data " + config.data() + ": no such folder");
        } catch (IOException e) {
            throw new UsageException("--data " + config.data() + ": " + e.getMessage());
        }
        try {
            return BatchPlan.of(images, config.batchSize(), config.seed());
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

    /** Executors process whole batches; only their small results come back, in batch order. */
    private static List<BatchResult> processBatches(SparkSession spark, BatchPlan plan, RunConfig config,
            List<AnalysedModel> models) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int partitions = Math.min(plan.batches().size(), Math.max(1, jsc.defaultParallelism()));
        BatchProcessor processor = new BatchProcessor(config, models, new HadoopConf(spark.sparkContext().hadoopConfiguration()),
                SparkSessions.tasksPerExecutor(spark));
        List<BatchResult> results = new ArrayList<>(jsc.parallelize(plan.batches(), partitions)
                .mapPartitions(processor)
                .collect());
        results.sort(Comparator.comparingInt(BatchResult::batch));
        return results;
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
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        v.put("driver_cores", Runtime.getRuntime().availableProcessors());
        Map<String, Map<String, Object>> executors = new TreeMap<>();
        for (BatchResult r : results) {
            BatchResult.Executor e = r.executor();
            Map<String, Object> entry = executors.computeIfAbsent(e.executorId() + "/" + e.pid(), k -> new LinkedHashMap<>());
            entry.put("device", e.device());
            entry.put("engine", e.engine());
            entry.merge("model_loads", e.modelLoads(), (x, y) -> Math.max((Integer) x, (Integer) y));
            entry.merge("batches", 1, (x, y) -> (Integer) x + (Integer) y);
        }
        v.put("executors", executors);
        return json(v);
    }
}
