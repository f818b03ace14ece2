package org.ckaatlas.analysis;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.ckaatlas.cka.ChannelCka;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.Grams;
import org.ckaatlas.cka.Hsic;
import org.ckaatlas.cka.PermutationNull;
import org.ckaatlas.data.ImageDecoder;
import org.ckaatlas.data.ImageRef;
import org.ckaatlas.data.Preprocessing;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.TappedNetwork;
import org.ckaatlas.render.FeatureGrid;
import org.ckaatlas.results.Vocabulary;

/**
 * One batch's analysis, on whatever JVM runs it: read and decode each file (a file that fails is
 * recorded, not fatal), one forward pass per model, and per analysed layer as soon as its output exists:
 * the Gram on the device (only the n x n Gram reaches the host, where the kernel is applied and every
 * layer pair's HSIC taken in float64), the per-image channel CKA when asked for, and the feature grids
 * of the chosen images. All native memory of a batch is freed when it ends.
 *
 * <p>What is small comes back as the {@link BatchResult}; per-image rows and grids go to the sinks as
 * they are made, and channel-CKA sums into the task's {@link ChannelSums}.
 */
public final class BatchAnalysis {
    private final RunConfig config;
    private final List<AnalysedModel> models;
    private final List<TappedNetwork> networks;
    private final DeviceChoice device;
    private final Set<String> gridImages;
    private final Configuration hadoop;
    private final Preprocessing preprocessing;
    private final String executorId;
    /** The networks' activation layouts, as runs.versions reports them ("blocked", or "dense, blocked"). */
    private final String layouts;
    private final Consumer<GenericRecord> channelRows;
    private final Consumer<GenericRecord> gridRows;
    private final ChannelSums sums = new ChannelSums();
    private final List<NullSum> nulls = new ArrayList<>();

    /**
     * @param networks the loaded network of each model, in the order of {@code models}
     * @param channelRows receives each image's channel_cka rows (when --channel-cka is not off)
     * @param gridRows receives the feature_grids rows
     */
    public BatchAnalysis(RunConfig config, List<AnalysedModel> models, List<TappedNetwork> networks, DeviceChoice device,
            Set<String> gridImages, Configuration hadoop, String executorId, Consumer<GenericRecord> channelRows,
            Consumer<GenericRecord> gridRows) {
        this.config = config;
        this.models = models;
        this.networks = networks;
        this.device = device;
        this.gridImages = gridImages;
        this.hadoop = hadoop;
        this.preprocessing = config.preprocessing(models.get(0).inputSize());
        this.executorId = executorId;
        this.layouts = networks.stream().map(network -> network.layout().name().toLowerCase(Locale.ROOT)).distinct()
                .collect(Collectors.joining(", "));
        this.channelRows = channelRows;
        this.gridRows = gridRows;
    }

    ChannelSums sums() {
        return sums;
    }

    /** Reads, decodes and preprocesses one image; a file that fails says why. Safe on any thread. */
    public DecodedBatch.Image decode(ImageRef ref) {
        long start = System.nanoTime();
        long read = -1;
        try {
            byte[] bytes = readAll(ref.uri());
            read = System.nanoTime() - start;
            BufferedImage image = ImageDecoder.decode(bytes);
            float[] pixels = preprocessing.apply(image);
            return new DecodedBatch.Image(ref, pixels, image.getWidth(), image.getHeight(), null, read,
                    System.nanoTime() - start - read);
        } catch (IOException | RuntimeException e) {
            long elapsed = System.nanoTime() - start;
            return new DecodedBatch.Image(ref, null, 0, 0, describe(e), read < 0 ? elapsed : read, read < 0 ? 0 : elapsed - read);
        }
    }

    /** A batch from its decoded images, in batch order. */
    DecodedBatch assemble(WorkItem item, List<DecodedBatch.Image> images) {
        int size = preprocessing.size();
        return DecodedBatch.of(item, images, 3 * size * size);
    }

    /** The forward passes and everything computed from them, for a decoded batch. */
    public BatchResult analyse(DecodedBatch batch) {
        WorkItem item = batch.item();
        StageTimes times = batch.times();
        int size = preprocessing.size();
        FloatBuffer input = batch.input();
        List<ImageOutcome> outcomes = batch.outcomes();
        List<ImageRef> decoded = batch.decoded();
        int n = decoded.size();
        List<ImageRef> channelImages = decoded.stream().filter(i -> item.channelImages().contains(i.imageId())).toList();
        if (n == 0 || (n < Hsic.MIN_UNBIASED_N && channelImages.isEmpty())) {
            return result(item, n, outcomes, Map.of(), times);
        }
        double[][] grams = new double[ResultRows.layerCount(models)][];
        try (NDManager manager = NDManager.newBaseManager(networks.get(0).device(), "PyTorch")) {
            NDArray images = manager.create(input, new Shape(n, 3, size, size));
            int offset = 0;
            for (int m = 0; m < models.size(); m++) {
                AnalysedModel model = models.get(m);
                int[] position = model.positionOfTap(networks.get(m).layers().size());
                int base = offset;
                long start = System.nanoTime();
                long[] inSink = {0};
                networks.get(m).forward(images, (tap, output) -> {
                    int layer = position[tap];
                    if (layer < 0) {
                        return;
                    }
                    long t0 = System.nanoTime();
                    if (n >= Hsic.MIN_UNBIASED_N) {
                        try (NDArray gram = Grams.linear(output); NDArray gram64 = gram.toType(DataType.FLOAT64, false)) {
                            grams[base + layer] = config.kernel().apply(gram64.toDoubleArray(), n);
                        }
                    }
                    long t1 = System.nanoTime();
                    if (!channelImages.isEmpty()) {
                        channelCka(item, model, layer, output, decoded);
                    }
                    long t2 = System.nanoTime();
                    if (!channelImages.isEmpty()) {
                        featureGrids(model, layer, output, decoded, item);
                    }
                    long t3 = System.nanoTime();
                    times.add(StageTimes.GRAM_HSIC, t1 - t0);
                    times.add(StageTimes.CHANNEL_CKA, t2 - t1);
                    times.add(StageTimes.FEATURE_GRIDS, t3 - t2);
                    inSink[0] += t3 - t0;
                });
                times.add(StageTimes.FORWARD, System.nanoTime() - start - inSink[0]);
                offset += model.layers().size();
            }
        }
        if (n < Hsic.MIN_UNBIASED_N) {
            return result(item, n, outcomes, Map.of(), times);
        }
        long t0 = System.nanoTime();
        Map<Estimator, double[][]> hsic = new EnumMap<>(Estimator.class);
        for (Estimator estimator : config.estimators()) {
            hsic.put(estimator, estimator.hsicMatrix(grams, n));
        }
        times.add(StageTimes.GRAM_HSIC, System.nanoTime() - t0);
        if (config.permutations() > 0) {
            long t1 = System.nanoTime();
            nulls.add(new NullSum(item.scope(), PermutationNull.ofBatch(grams, n, config.permutations(),
                    PermutationNull.seed(config.seed(), item.scope(), item.batch().index()))));
            times.add(StageTimes.PERMUTATION_NULL, System.nanoTime() - t1);
        }
        return result(item, n, outcomes, hsic, times);
    }

    /** The permuted HSIC of the batches analysed since the last call (TaskOutputs hands them on). */
    List<NullSum> takeNulls() {
        List<NullSum> taken = new ArrayList<>(nulls);
        nulls.clear();
        return taken;
    }

    /**
     * For the pass's channel images: the C x C matrices on the device, then in one pass on the host each
     * image's summary and the batch's sums for the means (global always; the class's too when this is
     * its class batch); the matrices themselves are kept only when the run stores them.
     */
    private void channelCka(WorkItem item, AnalysedModel model, int layer, NDArray output, List<ImageRef> images) {
        RunConfig.ChannelMode mode = config.channelCka();
        if (!mode.rows()) {
            return;
        }
        int c = model.layers().get(layer).channels();
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (item.channelImages().contains(images.get(i).imageId())) {
                rows.add(i);
            }
        }
        try (NDArray selected = rows.size() == images.size() ? null : rowsOf(output, rows);
                NDArray matrices = ChannelCka.matrices(selected == null ? output : selected)) {
            FloatBuffer all = ChannelCka.floats(matrices);
            ChannelCka.Reduced reduced = ChannelCka.reduce(all, rows.size(), c, mode.means());
            for (int k = 0; k < rows.size(); k++) {
                ImageRef image = images.get(rows.get(k));
                ChannelCka.Summary s = reduced.summaries()[k];
                float[] matrix = null;
                if (mode.matrices()) {
                    matrix = new float[c * c];
                    all.get(k * c * c, matrix); // out of the view, which lives only as long as the matrices
                }
                channelRows.accept(ResultRows.channelCka(image.imageId(), image.label(), model.label(), layer, c,
                        s.deadChannels(), s.meanOffDiagonal(), matrix));
            }
            if (mode.means()) {
                sums.add(Vocabulary.GLOBAL, model.label(), layer, reduced);
                if (item.isClassScope()) {
                    sums.add(item.scope(), model.label(), layer, reduced);
                }
            }
        }
    }

    /** The given images (first axis) of a batch's output, in order. */
    private static NDArray rowsOf(NDArray output, List<Integer> rows) {
        try (NDList parts = new NDList()) {
            for (int i : rows) {
                parts.add(output.get(new NDIndex("{}:{}", i, i + 1)));
            }
            return NDArrays.concat(parts, 0);
        }
    }

    private void featureGrids(AnalysedModel model, int layer, NDArray output, List<ImageRef> images, WorkItem item) {
        LayerInfo info = model.layers().get(layer);
        for (int i = 0; i < images.size(); i++) {
            ImageRef image = images.get(i);
            if (!gridImages.contains(image.imageId()) || !item.channelImages().contains(image.imageId())) {
                continue;
            }
            float[] maps;
            try (NDArray one = output.get(i)) {
                maps = one.toFloatArray();
            }
            gridRows.accept(ResultRows.featureGrid(image.imageId(), image.label(), model.label(), layer,
                    FeatureGrid.columns(info.channels()), FeatureGrid.png(maps, 0, info.channels(), info.height(), info.width())));
        }
    }

    private BatchResult result(WorkItem item, int n, List<ImageOutcome> outcomes, Map<Estimator, double[][]> hsic,
            StageTimes times) {
        BatchResult.Executor executor = new BatchResult.Executor(executorId, ProcessHandle.current().pid(),
                networks.get(0).device().toString(), device.assigned(), device.note(), layouts, ModelCache.loads(),
                Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
        return new BatchResult(item.scope(), item.batch().index(), n, outcomes, hsic, times, executor);
    }

    private byte[] readAll(String uri) throws IOException {
        // the URI is already encoded ("caf%C3%A9%20au%20lait"): Path(String) would encode it again
        Path path = new Path(URI.create(uri));
        try (InputStream in = path.getFileSystem(hadoop).open(path)) {
            return in.readAllBytes();
        }
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
