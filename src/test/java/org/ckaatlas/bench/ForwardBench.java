package org.ckaatlas.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ckaatlas.model.Layout;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.ModelSpec;
import org.ckaatlas.model.TappedNetwork;

/**
 * scripts/bench-forward: the forward pass of VGG11's conv trunk to conv8 in each layout, side by side in
 * one JVM on the same images, taking turns batch by batch so that a noisy neighbour slows all of them
 * alike. The built-in network dense (DJL's eager block) and blocked (the CPU default); with
 * {@code TORCHSCRIPT} (torchvision's VGG11 exported by scripts/export_torchscript.py) also the exported
 * dense file with DJL's graph optimiser on and off, and its blocked variant as the loader runs it.
 * Each blocked network's taps (of the first two images) are compared with its dense twin's.
 *
 * <p>Args: BATCH REPS [TORCHSCRIPT]
 */
public final class ForwardBench {
    /** VGG11's trunk to conv8 at 224 x 224: 7.5 G multiply-adds per image. */
    static final double GFLOP_PER_IMAGE = 15.0;

    private ForwardBench() {}

    private record Variant(String name, TappedNetwork network, String twin, boolean optimiserOff) {}

    public static void main(String[] args) throws Exception {
        int batch = Integer.parseInt(args[0]);
        int reps = Integer.parseInt(args[1]);
        List<Variant> variants = new ArrayList<>();
        ModelSpec builtIn = ModelSpec.parse("vgg11");
        variants.add(new Variant("built-in, dense (DJL eager)", ModelCache.load(builtIn, Device.cpu(), Layout.DENSE), null, false));
        variants.add(new Variant("built-in, blocked (default)", ModelCache.load(builtIn, Device.cpu(), Layout.BLOCKED), "built-in, dense (DJL eager)", false));
        if (args.length > 2 && Files.isRegularFile(Path.of(args[2]))) {
            ModelSpec exported = ModelSpec.parse("torchscript:" + args[2]);
            TappedNetwork dense = ModelCache.load(exported, Device.cpu(), Layout.DENSE);
            variants.add(new Variant("exported, dense, optimiser on", dense, null, false));
            variants.add(new Variant("exported, dense, optimiser off", dense, null, true));
            variants.add(new Variant("exported, blocked (default)", ModelCache.load(exported, Device.cpu(), Layout.BLOCKED),
                    "exported, dense, optimiser on", false));
        }
        System.out.printf(Locale.ROOT, "cka-atlas bench-forward: VGG11 trunk to conv8, batch %d at 224x224, %d cores, libtorch threads %s,"
                        + " %d rounds after a warm-up, each round every variant once (median)%n",
                batch, Runtime.getRuntime().availableProcessors(), System.getProperty("ai.djl.pytorch.num_threads", "default"), reps);

        Map<String, double[]> seconds = new LinkedHashMap<>();
        Map<String, List<float[]>> taps = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray images = manager.randomNormal(new Shape(batch, 3, 224, 224));
            for (int round = -1; round < reps; round++) {
                for (Variant v : variants) {
                    List<float[]> out = round == -1 ? new ArrayList<>() : null;
                    long t0 = System.nanoTime();
                    if (v.optimiserOff()) {
                        JniUtils.setGraphExecutorOptimize(false);
                    }
                    try (NDManager scope = manager.newSubManager()) {
                        v.network().forward(images, (layer, output) -> {
                            if (out != null) { // the first two images' taps: enough to compare, small enough to keep
                                try (NDArray firstTwo = output.get("0:2")) {
                                    out.add(firstTwo.toFloatArray());
                                }
                            }
                        });
                    } finally {
                        JniUtils.setGraphExecutorOptimize(true);
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (out != null) {
                        taps.put(v.name(), out);
                    } else {
                        seconds.computeIfAbsent(v.name(), k -> new double[reps])[round] = s;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-32s %10s %10s %14s %16s%n", "variant", "images/s", "GFLOP/s", "vs DJL eager", "max |diff| taps");
        double eager = 0;
        for (Variant v : variants) {
            double[] s = seconds.get(v.name());
            Arrays.sort(s);
            double rate = batch / s[s.length / 2];
            eager = eager == 0 ? rate : eager;
            String diff = v.twin() == null ? "" : String.format(Locale.ROOT, "%.1e vs %s", maxDiff(taps.get(v.name()), taps.get(v.twin())),
                    v.twin().startsWith("built-in") ? "dense" : "dense file");
            System.out.printf(Locale.ROOT, "%-32s %10.2f %10.1f %13.2fx %16s%n", v.name(), rate, rate * GFLOP_PER_IMAGE, rate / eager, diff);
        }
    }

    private static double maxDiff(List<float[]> a, List<float[]> b) {
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int k = 0; k < a.get(i).length; k++) {
                worst = Math.max(worst, Math.abs(a.get(i)[k] - b.get(i)[k]));
            }
        }
        return worst;
    }
}
