package org.ckaatlas.job;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.ckaatlas.cka.ChannelCka;
import org.ckaatlas.cka.ChannelMean;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.Grams;
import org.ckaatlas.cka.Hsic;
import org.ckaatlas.data.ImageDecoder;
import org.ckaatlas.data.ImageRef;
import org.ckaatlas.data.Preprocessing;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.TappedNetwork;
import org.ckaatlas.render.FeatureGrid;

/**
 * One Spark task: whole batches in, one {@link PartitionResult} out. Per batch: read and decode each
 * file (a file that fails is recorded, not fatal), one forward pass per model, and per analysed layer,
 * as soon as its output exists: the Gram on the device (only the n x n Gram reaches the host, where the
 * kernel is applied and every layer pair's HSIC taken in float64), the per-image channel CKA when asked
 * for, and the feature grids of the chosen images. All native memory of a batch is freed when it ends.
 */
final class BatchProcessor implements FlatMapFunction<Iterator<WorkItem>, PartitionResult> {
    private static final long serialVersionUID = 1L;

    private final RunConfig config;
    private final List<AnalysedModel> models;
    private final Preprocessing preprocessing;
    private final HadoopConf hadoop;
    private final int tasksPerExecutor;
    private final Set<String> gridImages;
    private final LongAccumulator imagesDone;

    BatchProcessor(RunConfig config, List<AnalysedModel> models, HadoopConf hadoop, int tasksPerExecutor,
            Set<String> gridImages, LongAccumulator imagesDone) {
        this.config = config;
        this.models = models;
        this.preprocessing = config.preprocessing(models.get(0).inputSize());
        this.hadoop = hadoop;
        this.tasksPerExecutor = tasksPerExecutor;
        this.gridImages = gridImages;
        this.imagesDone = imagesDone;
    }

    @Override
    public Iterator<PartitionResult> call(Iterator<WorkItem> items) {
        TorchThreads.configure(tasksPerExecutor);
        DeviceChoice device = DeviceChoice.choose(config.device(), TaskContext.get());
        List<TappedNetwork> networks = new ArrayList<>();
        for (AnalysedModel model : models) {
            networks.add(ModelCache.get(model.spec(), device.device()));
        }
        Task task = new Task(device);
        while (items.hasNext()) {
            WorkItem item = items.next();
            task.batches.add(task.process(networks, item));
            imagesDone.add(item.batch().images().size());
        }
        return List.of(new PartitionResult(task.batches, task.means, task.channelRows, task.grids, task.times)).iterator();
    }

    /** The state one task builds up over its batches. */
    private final class Task {
        final List<BatchResult> batches = new ArrayList<>();
        final Map<String, ChannelMean> means = new HashMap<>();
        final List<Row> channelRows = new ArrayList<>();
        final List<Row> grids = new ArrayList<>();
        final StageTimes times = new StageTimes();
        final DeviceChoice device;

        Task(DeviceChoice device) {
            this.device = device;
        }

        BatchResult process(List<TappedNetwork> networks, WorkItem item) {
            int size = preprocessing.size();
            List<ImageRef> refs = item.batch().images();
            FloatBuffer input = FloatBuffer.allocate(refs.size() * 3 * size * size);
            List<ImageOutcome> outcomes = new ArrayList<>();
            List<ImageRef> decoded = new ArrayList<>();
            for (ImageRef ref : refs) {
                try {
                    long t0 = System.nanoTime();
                    byte[] bytes = readAll(ref.uri());
                    long t1 = System.nanoTime();
                    BufferedImage image = ImageDecoder.decode(bytes);
                    input.put(preprocessing.apply(image));
                    times.add(0, t1 - t0);
                    times.add(1, System.nanoTime() - t1);
                    outcomes.add(ImageOutcome.ok(ref.imageId(), ref.label(), item.batch().index(), image.getWidth(), image.getHeight()));
                    decoded.add(ref);
                } catch (IOException | RuntimeException e) {
                    outcomes.add(ImageOutcome.failed(ref.imageId(), ref.label(), item.batch().index(), describe(e)));
                }
            }
            int n = decoded.size();
            List<ImageRef> channelImages = decoded.stream().filter(i -> item.channelImages().contains(i.imageId())).toList();
            if (n == 0 || (n < Hsic.MIN_UNBIASED_N && channelImages.isEmpty())) {
                return new BatchResult(item.scope(), item.batch().index(), n, outcomes, Map.of(), executor(networks.get(0), device));
            }
            double[][] grams = new double[ResultRows.layerCount(models)][];
            try (NDManager manager = NDManager.newBaseManager(networks.get(0).device(), "PyTorch")) {
                input.flip();
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
                        times.add(3, t1 - t0);
                        times.add(4, t2 - t1);
                        times.add(5, t3 - t2);
                        inSink[0] += t3 - t0;
                    });
                    times.add(2, System.nanoTime() - start - inSink[0]);
                    offset += model.layers().size();
                }
            }
            if (n < Hsic.MIN_UNBIASED_N) {
                return new BatchResult(item.scope(), item.batch().index(), n, outcomes, Map.of(), executor(networks.get(0), device));
            }
            long t0 = System.nanoTime();
            Map<Estimator, double[][]> hsic = new EnumMap<>(Estimator.class);
            for (Estimator estimator : config.estimators()) {
                hsic.put(estimator, estimator.hsicMatrix(grams, n));
            }
            times.add(3, System.nanoTime() - t0);
            return new BatchResult(item.scope(), item.batch().index(), n, outcomes, hsic, executor(networks.get(0), device));
        }

        /**
         * Per image: the C x C matrix on the device, its statistics on the host, and the running means
         * (global always; the image's class too when this is its class batch).
         */
        private void channelCka(WorkItem item, AnalysedModel model, int layer, NDArray output, List<ImageRef> images) {
            RunConfig.ChannelMode mode = config.channelCka();
            if (mode == RunConfig.ChannelMode.OFF) {
                return;
            }
            LayerInfo info = model.layers().get(layer);
            int c = info.channels();
            float[] all;
            try (NDArray matrices = ChannelCka.matrices(output)) {
                all = matrices.toFloatArray();
            }
            for (int i = 0; i < images.size(); i++) {
                ImageRef image = images.get(i);
                if (!item.channelImages().contains(image.imageId())) {
                    continue;
                }
                ChannelCka.Summary s = ChannelCka.summarise(all, i * c * c, c);
                float[] matrix = mode == RunConfig.ChannelMode.IMAGES ? java.util.Arrays.copyOfRange(all, i * c * c, (i + 1) * c * c) : null;
                channelRows.add(RowFactory.create(image.imageId(), image.label(), model.label(), layer, c, s.deadChannels(),
                        s.meanOffDiagonal(), matrix));
                if (mode == RunConfig.ChannelMode.MEAN || mode == RunConfig.ChannelMode.IMAGES) {
                    for (String meanScope : item.isClassScope() ? new String[] {ResultRows.GLOBAL, item.scope()}
                            : new String[] {ResultRows.GLOBAL}) {
                        means.computeIfAbsent(PartitionResult.meanKey(meanScope, model.label(), layer), k -> new ChannelMean(c))
                                .add(all, i * c * c);
                    }
                }
            }
        }

        private void featureGrids(AnalysedModel model, int layer, NDArray output, List<ImageRef> images, WorkItem item) {
            for (int i = 0; i < images.size(); i++) {
                ImageRef image = images.get(i);
                if (!gridImages.contains(image.imageId()) || !item.channelImages().contains(image.imageId())) {
                    continue;
                }
                LayerInfo info = model.layers().get(layer);
                float[] maps;
                try (NDArray one = output.get(i)) {
                    maps = one.toFloatArray();
                }
                grids.add(RowFactory.create(image.imageId(), image.label(), model.label(), layer,
                        FeatureGrid.columns(info.channels()),
                        FeatureGrid.png(maps, 0, info.channels(), info.height(), info.width())));
            }
        }
    }

    private byte[] readAll(String uri) throws IOException {
        // the URI is already encoded ("caf%C3%A9%20au%20lait"): Path(String) would encode it again
        Path path = new Path(URI.create(uri));
        try (InputStream in = path.getFileSystem(hadoop.get()).open(path)) {
            return in.readAllBytes();
        }
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static BatchResult.Executor executor(TappedNetwork network, DeviceChoice device) {
        SparkEnv env = SparkEnv.get();
        return new BatchResult.Executor(env == null ? "driver" : env.executorId(), ProcessHandle.current().pid(),
                network.device().toString(), device.assigned(), device.note(), ModelCache.loads(),
                Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    }
}
