package org.ckaatlas.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ckaatlas.cka.ChannelCka;
import org.ckaatlas.cka.Grams;
import org.ckaatlas.cka.Hsic;
import org.ckaatlas.cka.InnerProducts;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.ModelSpec;
import org.ckaatlas.model.TappedNetwork;
import org.ckaatlas.model.Vgg11;

/**
 * scripts/bench-cka: the cost of CKA next to the forward pass, printed as a table.
 *
 * <ol>
 *   <li>Per-image channel x channel CKA on the eight taps of the built-in VGG11's forward, next to
 *       that forward: its GFLOP/s beside the forward's, and their ratio; and against a Java port of
 *       the original analysis's pairwise algorithm (explicit centring matrices, float32 Grams,
 *       float64 centring, as numpy did it), timed on a sample of pairs and extrapolated to all
 *       C(C-1)/2 pairs.</li>
 *   <li>Layer x layer HSIC for one batch: Grams on the device and all pairs' unbiased HSIC on the host,
 *       timed inside a real VGG11 forward pass, against that forward pass.</li>
 * </ol>
 */
public final class CkaBench {
    private CkaBench() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int imagesPerLayer = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        System.out.printf(Locale.ROOT, "cka-atlas bench-cka: %d cores, libtorch threads %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
        channelCka(imagesPerLayer);
        secondProduct(imagesPerLayer);
        layerHsic(batch);
    }

    /**
     * Channel CKA next to the forward that feeds it, on the same cores: each round runs the built-in
     * network's CPU forward (blocked layout) on a batch, then channel CKA on each of its eight taps: the
     * matrices (the GFLOPs), then the host reduction the pipeline runs on them with --channel-cka mean,
     * timed apart. Rounds take turns so a noisy neighbour slows both; the ratio is each round's, paired.
     */
    private static void channelCka(int images) {
        List<LayerInfo> layers = Vgg11.layers(224, false);
        int rounds = 9;
        System.out.printf(Locale.ROOT, "%n1. Per-image channel CKA on the taps of the built-in forward (float32, %d images, median of %d rounds;"
                + "%n   each round: the forward, then each of its 8 taps' matrices and their host reduction (summaries and"
                + "%n   sums, read in place); original: a Java port, a sample of pairs timed and extrapolated to C(C-1)/2 pairs)%n",
                images, rounds);
        TappedNetwork network = ModelCache.get(ModelSpec.parse("vgg11"), Device.cpu());
        double[][] matrixMs = new double[layers.size()][rounds];
        double[][] hostMs = new double[layers.size()][rounds];
        double[] forwardMs = new double[rounds];
        double[] originalS = new double[layers.size()];
        double totalFlops = 0;
        for (LayerInfo layer : layers) {
            totalFlops += flops(layer);
        }
        double[] ratios = new double[rounds];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray batch = manager.randomNormal(new Shape(images, 3, 224, 224));
            for (int round = -1; round < rounds; round++) {
                NDArray[] taps = new NDArray[layers.size()];
                long t0 = System.nanoTime();
                network.forward(batch, (layer, output) -> taps[layer] = output.duplicate());
                double forward = (System.nanoTime() - t0) / 1e6 / images;
                double channel = 0;
                for (int l = 0; l < taps.length; l++) {
                    long t1 = System.nanoTime();
                    try (NDArray m = ChannelCka.matrices(taps[l])) {
                        long t2 = System.nanoTime();
                        ChannelCka.reduce(ChannelCka.floats(m), images, layers.get(l).channels(), true);
                        long t3 = System.nanoTime();
                        if (round >= 0) {
                            matrixMs[l][round] = (t2 - t1) / 1e6 / images;
                            hostMs[l][round] = (t3 - t2) / 1e6 / images;
                            channel += matrixMs[l][round];
                        } else {
                            originalS[l] = originalSeconds(taps[l], layers.get(l));
                        }
                    }
                    taps[l].close();
                }
                if (round >= 0) {
                    forwardMs[round] = forward;
                    ratios[round] = (totalFlops / channel) / (ForwardBench.GFLOP_PER_IMAGE * 1e9 / forward);
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-6s %-13s %10s %10s %12s %10s %14s %10s%n",
                "layer", "C x h x w", "GFLOP", "ours ms", "ours GFLOP/s", "host ms", "original s", "ratio");
        double totalOurs = 0;
        double totalHost = 0;
        double totalOriginal = 0;
        for (int l = 0; l < layers.size(); l++) {
            LayerInfo layer = layers.get(l);
            double oursMs = median(matrixMs[l]);
            double host = median(hostMs[l]);
            System.out.printf(Locale.ROOT, "%-6s %-13s %10.3f %10.2f %12.1f %10.2f %14.1f %9.0fx%n", layer.name(),
                    layer.channels() + "x" + layer.height() + "x" + layer.width(), flops(layer) / 1e9, oursMs,
                    flops(layer) / oursMs / 1e6, host, originalS[l], originalS[l] * 1000 / oursMs);
            totalOurs += oursMs;
            totalHost += host;
            totalOriginal += originalS[l];
        }
        double channelRate = totalFlops / totalOurs / 1e6;
        System.out.printf(Locale.ROOT, "%-6s %-13s %10.3f %10.2f %12.1f %10.2f %14.1f %9.0fx%n", "all 8", "",
                totalFlops / 1e9, totalOurs, channelRate, totalHost, totalOriginal, totalOriginal * 1000 / totalOurs);
        double forward = median(forwardMs);
        double forwardRate = ForwardBench.GFLOP_PER_IMAGE * 1e3 / forward;
        double ratio = median(ratios);
        System.out.printf(Locale.ROOT, "forward (built-in, %s layout): %.2f ms/image = %.1f GFLOP/s at %.1f GFLOP/image%n",
                network.layout().name().toLowerCase(Locale.ROOT), forward, forwardRate, ForwardBench.GFLOP_PER_IMAGE);
        System.out.printf(Locale.ROOT, "channel CKA / forward GFLOP/s: %.2f, median of the rounds' own ratios (%.2f-%.2f; target >= 0.8: %s);"
                + " channel CKA takes %.0f%% of the forward's time, %.0f%% with the host reduction%n", ratio,
                Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0), ratio >= 0.8 ? "met" : "NOT met",
                100 * totalOurs / forward, 100 * (totalOurs + totalHost) / forward);
    }

    /**
     * The second product (each image's flattened Grams against themselves) of every layer wide enough for
     * oneDNN, on oneDNN's inner product and on libtorch's matmul (MKL), in turns on the same inputs.
     */
    private static void secondProduct(int images) {
        int rounds = 9;
        System.out.printf(Locale.ROOT, "%n1b. The second product alone, (C x h^2)(C x h^2)^T per image, on oneDNN and on libtorch's matmul (MKL)"
                + "%n    (float32, %d images, median of %d rounds taken in turns)%n", images, rounds);
        System.out.printf(Locale.ROOT, "%-13s %12s %12s %12s %12s %10s%n", "C x h^2", "oneDNN ms", "GFLOP/s", "matmul ms", "GFLOP/s", "max |diff|");
        // each distinct (C, h) of VGG11 at 224 once
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (LayerInfo layer : Vgg11.layers(224, false)) {
            shapes.putIfAbsent(layer.channels() + "x" + layer.height(), new long[] {layer.channels(), (long) layer.height() * layer.height()});
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (long[] shape : shapes.values()) {
                long c = shape[0];
                long k = shape[1];
                NDArray flat = manager.randomNormal(new Shape(images, c, k));
                if (!InnerProducts.onOneDnn(flat, flat)) {
                    System.out.printf(Locale.ROOT, "%-13s not on oneDNN here%n", c + "x" + k);
                    continue;
                }
                double[] onednn = new double[rounds];
                double[] matmul = new double[rounds];
                double diff = 0;
                for (int round = -1; round < rounds; round++) {
                    try (NDManager scope = manager.newSubManager()) {
                        long t0 = System.nanoTime();
                        NDArray a = InnerProducts.of(flat, flat);
                        a.attach(scope);
                        long t1 = System.nanoTime();
                        NDArray b = flat.matMul(flat.transpose(0, 2, 1));
                        b.attach(scope);
                        long t2 = System.nanoTime();
                        if (round >= 0) {
                            onednn[round] = (t1 - t0) / 1e6 / images;
                            matmul[round] = (t2 - t1) / 1e6 / images;
                        } else {
                            diff = a.sub(b).abs().max().getFloat() / b.abs().max().getFloat();
                        }
                    }
                }
                double gflop = 2.0 * c * c * k / 1e9;
                System.out.printf(Locale.ROOT, "%-13s %12.2f %12.1f %12.2f %12.1f %10.1e%n", c + "x" + k, median(onednn),
                        gflop / median(onednn) * 1e3, median(matmul), gflop / median(matmul) * 1e3, diff);
            }
        }
    }

    /** Channel CKA's FLOPs for one image's tap: the Grams (2 C h^2 w) and their inner products (2 C^2 h^2), in full. */
    private static double flops(LayerInfo layer) {
        double c = layer.channels();
        double h = layer.height();
        return 2.0 * c * h * h * layer.width() + 2.0 * c * c * h * h;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The original analysis's pairwise algorithm on one image's tap: a sample of pairs, extrapolated. */
    private static double originalSeconds(NDArray tap, LayerInfo layer) {
        int c = layer.channels();
        int h = layer.height();
        float[] values;
        try (NDArray first = tap.get(0)) {
            values = first.toFloatArray();
        }
        int pairs = h >= 224 ? 1 : h >= 112 ? 2 : h >= 56 ? 4 : 16;
        double[][][] maps = new double[Math.min(c, pairs + 1)][][];
        for (int k = 0; k < maps.length; k++) {
            maps[k] = channel(values, k, h);
        }
        OriginalAnalysis.linearCka(maps[0], maps[1]); // warm-up
        long t1 = System.nanoTime();
        for (int k = 0; k < pairs; k++) {
            OriginalAnalysis.linearCka(maps[k], maps[k + 1]);
        }
        return (System.nanoTime() - t1) / 1e9 / pairs * c * (c - 1) / 2.0;
    }

    private static double[][] channel(float[] values, int c, int h) {
        double[][] m = new double[h][h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < h; x++) {
                m[y][x] = values[(c * h + y) * h + x];
            }
        }
        return m;
    }

    private static void layerHsic(int batch) {
        System.out.printf(Locale.ROOT, "%n2. Layer x layer HSIC for one batch of %d images, inside a VGG11 forward pass%n", batch);
        TappedNetwork network = ModelCache.get(ModelSpec.parse("vgg11"), Device.cpu());
        forward(network, 8, new long[1]); // warm-up
        long[] hsicNanos = new long[1];
        long t0 = System.nanoTime();
        forward(network, batch, hsicNanos);
        double totalS = (System.nanoTime() - t0) / 1e9;
        double hsicS = hsicNanos[0] / 1e9;
        double forwardS = totalS - hsicS;
        System.out.printf(Locale.ROOT, "forward %.2f s (%.2f images/s); Grams + HSIC of all 8x8 pairs %.3f s = %.1f%% of the forward%n",
                forwardS, batch / forwardS, hsicS, 100 * hsicS / forwardS);
        System.out.printf(Locale.ROOT, "target: under 10%%: %s%n", hsicS / forwardS < 0.10 ? "met" : "NOT met");

        // the host-side step alone, for the record
        double[][] grams = new double[8][];
        java.util.Random random = new java.util.Random(2);
        for (int i = 0; i < 8; i++) {
            grams[i] = new double[batch * batch];
            for (int j = 0; j < grams[i].length; j++) {
                grams[i][j] = random.nextDouble();
            }
        }
        for (int warm = 0; warm < 50; warm++) {
            Hsic.unbiasedMatrix(grams, batch);
        }
        long t2 = System.nanoTime();
        for (int r = 0; r < 200; r++) {
            Hsic.unbiasedMatrix(grams, batch);
        }
        System.out.printf(Locale.ROOT, "host step alone (U-centring and the pairs' dot products, 8 Grams of %dx%d): %.3f ms%n",
                batch, batch, (System.nanoTime() - t2) / 1e6 / 200);

        // the permutation null of the same batch: R = 200 permuted HSIC of every layer pair, next to the forward
        int permutations = org.ckaatlas.analysis.RunConfig.DEFAULT_PERMUTATIONS;
        org.ckaatlas.cka.PermutationNull.ofBatch(grams, batch, 20, 1); // warm-up
        long[] nullNanos = new long[3];
        for (int rep = 0; rep < 3; rep++) {
            long t3 = System.nanoTime();
            org.ckaatlas.cka.PermutationNull.ofBatch(grams, batch, permutations, rep);
            nullNanos[rep] = System.nanoTime() - t3;
        }
        java.util.Arrays.sort(nullNanos);
        double nullS = nullNanos[1] / 1e9;
        System.out.printf(Locale.ROOT, "permutation null, R = %d, 8 layers (28 pairs), batch %d: %.3f s = %.2f%% of the forward"
                + " (median of 3); target under 2%%: %s%n", permutations, batch, nullS, 100 * nullS / forwardS,
                nullS / forwardS < 0.02 ? "met" : "NOT met");
    }

    private static void forward(TappedNetwork network, int batch, long[] hsicNanos) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray images = manager.randomNormal(new Shape(batch, 3, 224, 224));
            double[][] grams = new double[8][];
            network.forward(images, (layer, output) -> {
                long t = System.nanoTime();
                try (NDArray g = Grams.linear(output); NDArray g64 = g.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)) {
                    grams[layer] = g64.toDoubleArray();
                }
                hsicNanos[0] += System.nanoTime() - t;
            });
            long t = System.nanoTime();
            Hsic.unbiasedMatrix(grams, batch);
            hsicNanos[0] += System.nanoTime() - t;
        }
    }

    /**
     * The original analysis's linear_CKA, ported line by line to plain Java: Grams of the float32 maps,
     * centring by H K H with H = I - 11'/n built explicitly, in float64 (numpy's np.eye/np.ones), and
     * three HSICs per pair, each recomputing its Grams and centrings.
     */
    static final class OriginalAnalysis {
        static double linearCka(double[][] x, double[][] y) {
            double hsic = linearHsic(x, y);
            double var1 = Math.sqrt(linearHsic(x, x));
            double var2 = Math.sqrt(linearHsic(y, y));
            return hsic / (var1 * var2);
        }

        static double linearHsic(double[][] x, double[][] y) {
            double[][] cx = centering(gram(x));
            double[][] cy = centering(gram(y));
            double s = 0;
            for (int i = 0; i < cx.length; i++) {
                for (int j = 0; j < cx.length; j++) {
                    s += cx[i][j] * cy[i][j];
                }
            }
            return s;
        }

        /** np.dot(X, X.T) on the float32 activations. */
        static double[][] gram(double[][] x) {
            int n = x.length;
            float[][] k = new float[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int d = 0; d < x[i].length; d++) {
                        s += (float) x[i][d] * (float) x[j][d];
                    }
                    k[i][j] = s;
                }
            }
            double[][] out = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    out[i][j] = k[i][j];
                }
            }
            return out;
        }

        static double[][] centering(double[][] k) {
            int n = k.length;
            double[][] h = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    h[i][j] = (i == j ? 1.0 : 0.0) - 1.0 / n;
                }
            }
            return dot(dot(h, k), h);
        }

        /** A plain matrix product, i-k-j order so the inner loop runs along rows. */
        static double[][] dot(double[][] a, double[][] b) {
            int n = a.length;
            int m = b[0].length;
            double[][] c = new double[n][m];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < b.length; k++) {
                    double aik = a[i][k];
                    double[] bk = b[k];
                    double[] ci = c[i];
                    for (int j = 0; j < m; j++) {
                        ci[j] += aik * bk[j];
                    }
                }
            }
            return c;
        }
    }
}
