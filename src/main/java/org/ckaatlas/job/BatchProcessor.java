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
import java.util.Iterator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.Grams;
import org.ckaatlas.cka.Hsic;
import org.ckaatlas.data.BatchPlan;
import org.ckaatlas.data.ImageDecoder;
import org.ckaatlas.data.ImageRef;
import org.ckaatlas.data.Preprocessing;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.TappedNetwork;

/**
 * One Spark task: whole batches in, one small {@link BatchResult} per batch out. Per batch: read and
 * decode each file (a file that fails is recorded, not fatal), one forward pass, and per layer the
 * Gram on the device; only the Grams (n x n) reach the host, where the kernel is applied and the HSIC
 * of every layer pair is taken in float64, under each estimator asked for. All native memory of a batch is freed when the batch ends.
 */
final class BatchProcessor implements FlatMapFunction<Iterator<BatchPlan.Batch>, BatchResult> {
    private static final long serialVersionUID = 1L;

    private final RunConfig config;
    private final List<AnalysedModel> models;
    private final Preprocessing preprocessing;
    private final HadoopConf hadoop;
    private final int tasksPerExecutor;

    BatchProcessor(RunConfig config, List<AnalysedModel> models, HadoopConf hadoop, int tasksPerExecutor) {
        this.config = config;
        this.models = models;
        this.preprocessing = config.preprocessing(models.get(0).inputSize());
        this.hadoop = hadoop;
        this.tasksPerExecutor = tasksPerExecutor;
    }

    @Override
    public Iterator<BatchResult> call(Iterator<BatchPlan.Batch> batches) {
        TorchThreads.configure(tasksPerExecutor);
        List<TappedNetwork> networks = new ArrayList<>();
        for (AnalysedModel model : models) {
            networks.add(ModelCache.get(model.spec(), Engine.getInstance().defaultDevice()));
        }
        List<BatchResult> results = new ArrayList<>();
        while (batches.hasNext()) {
            results.add(process(networks, batches.next()));
        }
        return results.iterator();
    }

    private BatchResult process(List<TappedNetwork> networks, BatchPlan.Batch batch) {
        int size = preprocessing.size();
        FloatBuffer input = FloatBuffer.allocate(batch.images().size() * 3 * size * size);
        List<ImageOutcome> outcomes = new ArrayList<>();
        int n = 0;
        for (ImageRef ref : batch.images()) {
            try {
                BufferedImage image = ImageDecoder.decode(readAll(ref.uri()));
                input.put(preprocessing.apply(image));
                outcomes.add(ImageOutcome.ok(ref.imageId(), ref.label(), batch.index(), image.getWidth(), image.getHeight()));
                n++;
            } catch (IOException | RuntimeException e) {
                outcomes.add(ImageOutcome.failed(ref.imageId(), ref.label(), batch.index(), describe(e)));
            }
        }
        if (n < Hsic.MIN_UNBIASED_N) {
            return new BatchResult(batch.index(), n, outcomes, Map.of(), executor(networks.get(0)));
        }
        int decoded = n;
        double[][] grams = new double[models.stream().mapToInt(m -> m.layers().size()).sum()][];
        try (NDManager manager = NDManager.newBaseManager(networks.get(0).device(), "PyTorch")) {
            input.flip();
            NDArray images = manager.create(input, new Shape(n, 3, size, size));
            int offset = 0;
            for (int m = 0; m < models.size(); m++) {
                TappedNetwork network = networks.get(m);
                int[] position = models.get(m).positionOfTap(network.layers().size());
                int base = offset;
                network.forward(images, (tap, output) -> {
                    if (position[tap] < 0) {
                        return;
                    }
                    try (NDArray gram = Grams.linear(output); NDArray gram64 = gram.toType(DataType.FLOAT64, false)) {
                        grams[base + position[tap]] = config.kernel().apply(gram64.toDoubleArray(), decoded);
                    }
                });
                offset += models.get(m).layers().size();
            }
        }
        Map<Estimator, double[][]> hsic = new EnumMap<>(Estimator.class);
        for (Estimator estimator : config.estimators()) {
            hsic.put(estimator, estimator.hsicMatrix(grams, n));
        }
        return new BatchResult(batch.index(), n, outcomes, hsic, executor(networks.get(0)));
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

    private static BatchResult.Executor executor(TappedNetwork network) {
        SparkEnv env = SparkEnv.get();
        return new BatchResult.Executor(env == null ? "driver" : env.executorId(), ProcessHandle.current().pid(),
                network.device().toString(), ModelCache.loads(),
                Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    }
}
