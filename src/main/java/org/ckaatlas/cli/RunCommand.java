package org.ckaatlas.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Paths;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.Kernel;
import org.ckaatlas.job.CkaJob;
import org.ckaatlas.analysis.DeviceChoice;
import org.ckaatlas.analysis.RunConfig;
import org.ckaatlas.analysis.RunSummary;
import org.ckaatlas.job.SparkSessions;
import org.ckaatlas.analysis.UsageException;
import org.ckaatlas.analysis.RunFailedException;
import org.ckaatlas.model.ModelCheck;
import org.ckaatlas.model.ModelDescription;
import org.ckaatlas.model.ModelSpec;
import org.ckaatlas.render.RunReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cka-atlas run}: one analysis of a data set, end to end. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs the model over every image of DATA on Spark and writes the CKA tables under OUT.")
final class RunCommand implements Callable<Integer> {
    private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("'run-'yyyyMMdd'T'HHmmss'Z'");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, description = "image folder, DATA/<label>/<image> (local path or file:, hdfs:, s3a: URI)")
    String data;

    @Option(names = "--out", required = true, description = "root of the result tables (local path or URI)")
    String out;

    @Option(names = "--model", defaultValue = "vgg11",
            description = "model A: vgg11, vgg11:seed=N (built-in VGG11, random init from the seed), torchscript:PATH "
                    + "(made by scripts/export_torchscript.py), djl:PATH (saved VGG11 parameters) (default: ${DEFAULT-VALUE})")
    ModelSpec model;

    @Option(names = "--compare", description = "model B, run on the same batches: layer_cka then holds a-a, b-b and a-b rows")
    ModelSpec compare;

    @Option(names = "--layers", split = ",", description = "model A's layers to analyse, by name or 0-based index (default: all)")
    List<String> layers = List.of();

    @Option(names = "--compare-layers", split = ",", description = "model B's layers to analyse (default: all)")
    List<String> compareLayers = List.of();

    @Option(names = "--taps", defaultValue = "pre-relu",
            description = "built-in models: pre-relu (each conv's own output) or post-relu (default: ${DEFAULT-VALUE})")
    String taps;

    @Option(names = "--run-id", description = "partition value of this run in every table (default: run-<UTC time>)")
    String runId;

    @Option(names = "--batch-size", defaultValue = "" + RunConfig.DEFAULT_BATCH_SIZE,
            description = "largest minibatch, 4 to " + RunConfig.MAX_BATCH_SIZE + "; batch sizes differ by at most one (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", description = "shuffles images into batches; seeds the bootstrap (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--bootstrap", defaultValue = "" + RunConfig.DEFAULT_RESAMPLES,
            description = "bootstrap resamples for the confidence intervals, 0 for none, at most " + RunConfig.MAX_RESAMPLES + " (default: ${DEFAULT-VALUE})")
    int bootstrap;

    @Option(names = "--kernel", defaultValue = "linear",
            description = "linear, or rbf[:F]: RBF with bandwidth F x the batch's median distance (Kornblith et al. 2019; default F=1) (default: ${DEFAULT-VALUE})")
    Kernel kernel;

    @Option(names = "--estimator", defaultValue = "unbiased",
            description = "unbiased (minibatch CKA, Nguyen et al. 2021), or biased: the original 2019 CKA, reported beside the unbiased one (default: ${DEFAULT-VALUE})")
    Estimator estimator;

    @Option(names = "--preprocessing", defaultValue = "resize",
            description = "resize (straight to the input size, as the original analysis), resize-crop (torchvision: "
                    + "shorter side to 256, centre crop 224) or resize-crop:R (default: ${DEFAULT-VALUE})")
    String preprocessing;

    @Option(names = "--max-failed-fraction", defaultValue = "0.05",
            description = "above this share of images failing to decode the run fails, exit 3 (default: ${DEFAULT-VALUE})")
    double maxFailedFraction;

    @Option(names = "--scope", defaultValue = "global",
            description = "global (batches across all images), class (batches inside each label: class:<label> rows) "
                    + "or both (default: ${DEFAULT-VALUE})")
    RunConfig.Scope scope;

    @Option(names = "--channel-cka", defaultValue = "mean",
            description = "per-image channel x channel CKA: off, summary (channels, dead channels, mean off-diagonal per "
                    + "image and layer), mean (also the mean matrix per layer, global and per class), images (also every "
                    + "image's matrix) (default: ${DEFAULT-VALUE})")
    RunConfig.ChannelMode channelCka;

    @Option(names = "--feature-grids", defaultValue = "0",
            description = "this many images (one per label first) get the feature-map grid of every layer (default: ${DEFAULT-VALUE})")
    int featureGrids;

    @Option(names = "--device", defaultValue = "auto",
            description = "auto (the GPU Spark assigns a task when CUDA is usable, else the CPU, recorded in runs), cpu, "
                    + "or gpu (fail when no GPU is usable) (default: ${DEFAULT-VALUE})")
    DeviceChoice.Wanted device;

    @Option(names = "--permutations", defaultValue = "" + RunConfig.DEFAULT_PERMUTATIONS,
            description = "seeded permutations per batch for the permutation null (layer_cka.p_value), 0 for none, at most "
                    + RunConfig.MAX_PERMUTATIONS + " (default: ${DEFAULT-VALUE})")
    int permutations;

    @Option(names = "--redundancy-threshold", defaultValue = "0.95",
            description = "mean channel CKA above which channels are near-duplicates, grouped in channel_groups (default: ${DEFAULT-VALUE})")
    double redundancyThreshold;

    @Option(names = "--decode-threads", paramLabel = "N",
            description = "threads per task that read and decode the next batch while the current one runs forward, "
                    + "0 to " + RunConfig.MAX_DECODE_THREADS + "; 0 decodes between forwards (default: the task's cores, spark.task.cpus)")
    Integer decodeThreads;

    @Option(names = "--quiet", description = "no progress lines on stderr")
    boolean quiet;

    @Option(names = "--master", description = "Spark master URL (default: the one spark-submit sets, else local[*])")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark setting, e.g. spark.executor.memory=8g (repeatable)")
    java.util.Map<String, String> sparkConf = new java.util.LinkedHashMap<>();

    @Option(names = "--no-render", description = "write the tables only, no report")
    boolean noRender;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        RunConfig config = config();
        SparkSession spark = SparkSessions.create(master, "cka-atlas " + config.runId(), sparkConf);
        RunSummary summary;
        try {
            summary = CkaJob.run(spark, config);
        } catch (RunFailedException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("run: run " + config.runId() + " failed: " + e.getMessage());
            err.flush();
            return CkaAtlas.EXIT_RUN_FAILED;
        } finally {
            spark.stop();
        }
        summary.warnings().forEach(w -> spec.commandLine().getErr().println("run: " + w));
        spec.commandLine().getErr().flush();
        stdout.printf("run %s: %d images (%d failed) in %s (%d skipped), %.1f s%n", summary.runId(),
                summary.imagesOk(), summary.imagesFailed(), summary.batches() == 1 ? "1 batch" : summary.batches() + " batches",
                summary.batchesSkipped(), summary.seconds());
        stdout.println("tables: " + config.out() + "/{" + String.join(",", summary.tables()) + "}/run_id=" + config.runId());
        if (!noRender) {
            stdout.println("report: " + new RunReport(config.out(), config.runId()).render());
        }
        stdout.flush();
        return CkaAtlas.EXIT_OK;
    }

    /** Checks every flag before Spark starts, so bad input costs nothing and writes nothing. */
    private RunConfig config() throws IOException {
        String problem = Preflight.master(master);
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        }
        String dataUri = absolute(data);
        Path dataPath = new Path(dataUri);
        FileSystem fs = dataPath.getFileSystem(new Configuration());
        if (!fs.exists(dataPath) || !fs.getFileStatus(dataPath).isDirectory()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--data " + data + ": no such folder");
        }
        String outUri = absolute(out);
        problem = Preflight.flatFolder("--data " + data, dataPath, fs);
        if (problem == null) {
            problem = Preflight.out("--out " + out, outUri, new Path(outUri).getFileSystem(new Configuration()));
        }
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        }
        String id = runId != null ? runId : ZonedDateTime.now(ZoneOffset.UTC).format(RUN_ID);
        try {
            boolean postRelu = Taps.parse(taps);
            for (ModelSpec spec : compare == null ? List.of(model) : List.of(model, compare)) {
                if (!spec.isBuiltIn()) {
                    ModelCheck.check(spec);
                } else {
                    ModelDescription.of(spec);
                }
            }
            return RunConfig.builder()
                    .setData(dataUri)
                    .setOut(outUri)
                    .setRunId(id)
                    .optModel(model.isBuiltIn() ? model.withPostRelu(postRelu) : model)
                    .optCompare(compare == null || !compare.isBuiltIn() ? compare : compare.withPostRelu(postRelu))
                    .optLayers(layers)
                    .optCompareLayers(compareLayers)
                    .optBatchSize(batchSize)
                    .optSeed(seed)
                    .optBootstrapResamples(bootstrap)
                    .optKernel(kernel)
                    .optEstimator(estimator)
                    .optPreprocessing(preprocessing)
                    .optMaxFailedFraction(maxFailedFraction)
                    .optScope(scope)
                    .optChannelCka(channelCka)
                    .optFeatureGrids(featureGrids)
                    .optQuiet(quiet)
                    .optDevice(device)
                    .optRedundancyThreshold(redundancyThreshold)
                    .optPermutations(permutations)
                    .optDecodeThreads(decodeThreads == null ? RunConfig.DECODE_THREADS_PER_CORE : decodeThreads)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Local paths become absolute file: URIs, so executors in other folders find them too. */
    static String absolute(String location) {
        if (location.matches("[a-zA-Z][a-zA-Z0-9+.-]+:.*")) {
            return location;
        }
        String path = Paths.get(location).toAbsolutePath().normalize().toString();
        return "file://" + path;
    }
}
