package org.ckaatlas.analysis;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.Kernel;
import org.ckaatlas.data.Preprocessing;
import org.ckaatlas.model.ModelSpec;

/**
 * Everything a run is configured with, immutable; recorded verbatim in the runs table. Built with
 * {@link #builder()}: {@code set...} for what is required, {@code opt...} for what has a default.
 */
public final class RunConfig implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final int DEFAULT_RESAMPLES = 1000;
    /**
     * Above this a batch cannot fit any executor: its input tensor alone is 4096 x 3 x 224 x 224 floats
     * (2.5 GB) and VGG11's first tap 4096 x 64 x 224 x 224 floats (53 GB), and minibatch CKA is unbiased
     * at any batch size, so larger batches buy nothing but memory.
     */
    public static final int MAX_BATCH_SIZE = 4096;
    /**
     * The bootstrap keeps every resample's matrix on the driver (resamples x layers^2 doubles: 100,000
     * resamples of two 8-layer models' 16x16 matrix is ~0.25 GB), and a 95% percentile interval's Monte
     * Carlo error is under 1% of its width at 10,000 resamples, ~0.2% at 100,000: more buy nothing.
     */
    public static final int MAX_RESAMPLES = 100_000;
    /** Each batch's permuted HSIC is R x layer pairs doubles; p-values resolve to 1 / (R + 1). */
    public static final int MAX_PERMUTATIONS = 10_000;
    public static final int DEFAULT_PERMUTATIONS = 200;
    /** {@link #decodeThreads()}: as many as the task has cores (spark.task.cpus). */
    public static final int DECODE_THREADS_PER_CORE = -1;
    /** Each decode thread holds one image's raster at a time (at most the decode budget). */
    public static final int MAX_DECODE_THREADS = 64;
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final String data;
    private final String out;
    private final String runId;
    private final ModelSpec model;
    private final int batchSize;
    private final long seed;
    private final int bootstrapResamples;
    private final ModelSpec compare;
    private final List<String> layers;
    private final List<String> compareLayers;
    private final String preprocessing;
    private final double maxFailedFraction;
    private final Scope scope;
    private final ChannelMode channelCka;
    private final int featureGrids;
    private final boolean quiet;
    private final DeviceChoice.Wanted device;
    private final int decodeThreads;
    private final double redundancyThreshold;
    private final int permutations;

    /** Which batches CKA is computed over: all images mixed, within each label, or both. */
    public enum Scope { GLOBAL, CLASS, BOTH;
        public boolean global() {
            return this != CLASS;
        }

        public boolean perClass() {
            return this != GLOBAL;
        }
    }

    /** How much per-image channel CKA is kept: none, per-image statistics, plus mean matrices, plus every matrix. */
    public enum ChannelMode { OFF, SUMMARY, MEAN, IMAGES;
        /** Whether channel_cka gets a row per image and layer. */
        public boolean rows() {
            return this != OFF;
        }

        /** Whether channel_cka_mean is written. */
        public boolean means() {
            return this == MEAN || this == IMAGES;
        }

        /** Whether each image's whole matrix is stored. */
        public boolean matrices() {
            return this == IMAGES;
        }
    }
    private final Kernel kernel;
    private final Estimator estimator;

    private RunConfig(Builder b) {
        if (b.data == null || b.out == null || b.runId == null) {
            throw new IllegalArgumentException("data, out and run id are required");
        }
        if (b.batchSize < 4) {
            throw new IllegalArgumentException("--batch-size must be at least 4 (unbiased HSIC), got " + b.batchSize);
        }
        if (b.batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("--batch-size must be at most " + MAX_BATCH_SIZE + " (memory), got " + b.batchSize);
        }
        if (!RUN_ID.matcher(b.runId).matches()) {
            throw new IllegalArgumentException("--run-id '" + b.runId + "' must be letters, digits, '.', '_' or '-'");
        }
        if (!(b.maxFailedFraction >= 0 && b.maxFailedFraction <= 1)) {
            throw new IllegalArgumentException("--max-failed-fraction must be between 0 and 1, got " + b.maxFailedFraction);
        }
        Preprocessing.parse(b.preprocessing, 224);
        if (b.bootstrapResamples < 0) {
            throw new IllegalArgumentException("--bootstrap must be 0 or more, got " + b.bootstrapResamples);
        }
        if (b.bootstrapResamples > MAX_RESAMPLES) {
            throw new IllegalArgumentException("--bootstrap must be at most " + MAX_RESAMPLES + ", got " + b.bootstrapResamples);
        }
        if (b.decodeThreads != DECODE_THREADS_PER_CORE && (b.decodeThreads < 0 || b.decodeThreads > MAX_DECODE_THREADS)) {
            throw new IllegalArgumentException("--decode-threads must be 0 (decode in the task's own thread) to "
                    + MAX_DECODE_THREADS + ", got " + b.decodeThreads);
        }
        decodeThreads = b.decodeThreads;
        if (!(b.redundancyThreshold > 0 && b.redundancyThreshold <= 1)) {
            throw new IllegalArgumentException("--redundancy-threshold must be above 0 and at most 1, got " + b.redundancyThreshold);
        }
        redundancyThreshold = b.redundancyThreshold;
        if (b.permutations < 0 || b.permutations > MAX_PERMUTATIONS) {
            throw new IllegalArgumentException("--permutations must be 0 (none) to " + MAX_PERMUTATIONS + ", got " + b.permutations);
        }
        permutations = b.permutations;
        data = b.data;
        out = b.out;
        runId = b.runId;
        model = b.model;
        batchSize = b.batchSize;
        seed = b.seed;
        bootstrapResamples = b.bootstrapResamples;
        compare = b.compare;
        layers = List.copyOf(b.layers);
        compareLayers = List.copyOf(b.compareLayers);
        preprocessing = b.preprocessing;
        maxFailedFraction = b.maxFailedFraction;
        scope = b.scope;
        channelCka = b.channelCka;
        featureGrids = b.featureGrids;
        quiet = b.quiet;
        device = b.device;
        if (featureGrids < 0) {
            throw new IllegalArgumentException("--feature-grids must be 0 or more, got " + featureGrids);
        }
        kernel = b.kernel;
        estimator = b.estimator;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Root of the image folder (any Hadoop FileSystem URI). */
    public String data() {
        return data;
    }

    /** Root of the result tables. */
    public String out() {
        return out;
    }

    /** The run's partition value under every table. */
    public String runId() {
        return runId;
    }

    /** Model A. */
    public ModelSpec model() {
        return model;
    }

    /** The largest minibatch (>= 4); sizes differ by at most one. */
    public int batchSize() {
        return batchSize;
    }

    /** Shuffles images into batches and seeds the bootstrap. */
    public long seed() {
        return seed;
    }

    /** Resamples for the CKA confidence intervals (0: none). */
    public int bootstrapResamples() {
        return bootstrapResamples;
    }

    /** Model B, run on the same batches, or null. */
    public ModelSpec compare() {
        return compare;
    }

    /** Model A's analysed layers, by name or index; empty for all. */
    public List<String> layers() {
        return layers;
    }

    /** Model B's analysed layers, by name or index; empty for all. */
    public List<String> compareLayers() {
        return compareLayers;
    }

    public Kernel kernel() {
        return kernel;
    }

    /** The estimators whose CKA is reported: unbiased always, biased beside it when asked for. */
    public List<Estimator> estimators() {
        return estimator == Estimator.BIASED ? List.of(Estimator.UNBIASED, Estimator.BIASED) : List.of(Estimator.UNBIASED);
    }

    /** --preprocessing for a network input of the given size. */
    public Preprocessing preprocessing(int inputSize) {
        return Preprocessing.parse(preprocessing, inputSize);
    }

    /** Above this share of listed images failing to decode, the run fails and publishes nothing. */
    public double maxFailedFraction() {
        return maxFailedFraction;
    }

    public Scope scope() {
        return scope;
    }

    public ChannelMode channelCka() {
        return channelCka;
    }

    /** How many images get feature-map grids of every layer. */
    public int featureGrids() {
        return featureGrids;
    }

    /** --device: auto, cpu or gpu. */
    public DeviceChoice.Wanted device() {
        return device;
    }

    /**
     * Threads per task that decode the next batch while this one runs forward: 0 decodes in the task's
     * own thread, between forwards; {@link #DECODE_THREADS_PER_CORE} takes the task's cores.
     */
    public int decodeThreads() {
        return decodeThreads;
    }

    /** Seeded permutations per batch for layer_cka's p_value; 0 for none. */
    public int permutations() {
        return permutations;
    }

    /** The mean channel CKA above which channels are grouped as near-duplicates (channel_groups). */
    public double redundancyThreshold() {
        return redundancyThreshold;
    }

    /** No progress lines. */
    public boolean quiet() {
        return quiet;
    }

    /** Every configured value, by its command-line name, for the runs table. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", data);
        m.put("out", out);
        m.put("run-id", runId);
        m.put("model", model.toString());
        m.put("batch-size", batchSize);
        m.put("seed", seed);
        m.put("bootstrap", bootstrapResamples);
        m.put("compare", compare == null ? null : compare.toString());
        m.put("layers", layers);
        m.put("compare-layers", compareLayers);
        m.put("preprocessing", preprocessing);
        m.put("max-failed-fraction", maxFailedFraction);
        m.put("scope", scope.name().toLowerCase(java.util.Locale.ROOT));
        m.put("channel-cka", channelCka.name().toLowerCase(java.util.Locale.ROOT));
        m.put("feature-grids", featureGrids);
        m.put("device", device.name().toLowerCase(java.util.Locale.ROOT));
        m.put("redundancy-threshold", redundancyThreshold);
        m.put("permutations", permutations);
        m.put("decode-threads", decodeThreads == DECODE_THREADS_PER_CORE ? "task cores" : decodeThreads);
        m.put("kernel", kernel.toString());
        m.put("estimator", estimator.label());
        return m;
    }

    /** Builds a {@link RunConfig}; {@link #build} checks every value. */
    public static final class Builder {
        private String data;
        private String out;
        private String runId;
        private ModelSpec model = ModelSpec.parse("vgg11");
        private int batchSize = DEFAULT_BATCH_SIZE;
        private long seed;
        private int bootstrapResamples = DEFAULT_RESAMPLES;
        private ModelSpec compare;
        private List<String> layers = List.of();
        private List<String> compareLayers = List.of();
        private String preprocessing = "resize";
        private double maxFailedFraction = 0.05;
        private Scope scope = Scope.GLOBAL;
        private ChannelMode channelCka = ChannelMode.MEAN;
        private int featureGrids;
        private boolean quiet;
        private DeviceChoice.Wanted device = DeviceChoice.Wanted.AUTO;
        private int decodeThreads = DECODE_THREADS_PER_CORE;
        private double redundancyThreshold = 0.95;
        private int permutations = DEFAULT_PERMUTATIONS;
        private Kernel kernel = new Kernel.Linear();
        private Estimator estimator = Estimator.UNBIASED;

        private Builder() {}

        public Builder setData(String data) {
            this.data = data;
            return this;
        }

        public Builder setOut(String out) {
            this.out = out;
            return this;
        }

        public Builder setRunId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder optModel(ModelSpec model) {
            this.model = model;
            return this;
        }

        public Builder optPermutations(int permutations) {
            this.permutations = permutations;
            return this;
        }

        public Builder optRedundancyThreshold(double threshold) {
            this.redundancyThreshold = threshold;
            return this;
        }

        /** @param decodeThreads 0 to decode between forwards, or {@link #DECODE_THREADS_PER_CORE} */
        public Builder optDecodeThreads(int decodeThreads) {
            this.decodeThreads = decodeThreads;
            return this;
        }

        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder optBootstrapResamples(int resamples) {
            this.bootstrapResamples = resamples;
            return this;
        }

        public Builder optCompare(ModelSpec compare) {
            this.compare = compare;
            return this;
        }

        public Builder optLayers(List<String> layers) {
            this.layers = layers;
            return this;
        }

        public Builder optCompareLayers(List<String> compareLayers) {
            this.compareLayers = compareLayers;
            return this;
        }

        public Builder optKernel(Kernel kernel) {
            this.kernel = kernel;
            return this;
        }

        public Builder optEstimator(Estimator estimator) {
            this.estimator = estimator;
            return this;
        }

        public Builder optPreprocessing(String preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        public Builder optMaxFailedFraction(double fraction) {
            this.maxFailedFraction = fraction;
            return this;
        }

        public Builder optScope(Scope scope) {
            this.scope = scope;
            return this;
        }

        public Builder optChannelCka(ChannelMode mode) {
            this.channelCka = mode;
            return this;
        }

        public Builder optFeatureGrids(int images) {
            this.featureGrids = images;
            return this;
        }

        public Builder optDevice(DeviceChoice.Wanted device) {
            this.device = device;
            return this;
        }

        public Builder optQuiet(boolean quiet) {
            this.quiet = quiet;
            return this;
        }

        /** @throws IllegalArgumentException naming the flag that is wrong */
        public RunConfig build() {
            return new RunConfig(this);
        }
    }
}
