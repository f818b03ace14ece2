package org.ckaatlas.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * scripts/bench-decode: decode + preprocess cost on one thread (images/s per core) for the sample data
 * set's ImageNet-sized JPEGs (~500x375): each JPEG reader on the classpath, and two ways to get RGB out of
 * the decoded image (getRGB, or the raster's bytes). Stages are timed separately; median of 5 rounds.
 * Then the pipeline's own decode on 1, 2, 4 ... all cores at once, for the cores a GPU needs.
 */
public final class DecodeBench {
    private DecodeBench() {}

    public static void main(String[] args) throws Exception {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 48;
        Path dir = Files.createTempDirectory("bench-decode");
        SampleData.write(dir, 8, (images + 7) / 8, 1);
        List<byte[]> files = new ArrayList<>();
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.filter(Files::isRegularFile).sorted()::iterator) {
                files.add(Files.readAllBytes(p));
            }
        }
        List<String> readers = new ArrayList<>();
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext(); ) {
            readers.add(it.next().getClass().getName());
        }
        System.out.printf(Locale.ROOT, "cka-atlas bench-decode: %d JPEGs (~500x375), one thread, ms per image (median of 5)%n",
                files.size());
        System.out.printf(Locale.ROOT, "%-44s %8s %8s %8s %10s%n", "JPEG reader + RGB conversion", "decode", "to RGB",
                "resize", "images/s");
        Preprocessing preprocessing = Preprocessing.resize(224);
        for (String reader : readers) {
            for (boolean direct : new boolean[] {false, true}) {
                double[][] stages = new double[3][5];
                round(files, reader, direct, preprocessing, new double[3]); // warm-up
                for (int r = 0; r < 5; r++) {
                    double[] t = new double[3];
                    round(files, reader, direct, preprocessing, t);
                    for (int s = 0; s < 3; s++) {
                        stages[s][r] = t[s] / files.size();
                    }
                }
                double total = 0;
                double[] median = new double[3];
                for (int s = 0; s < 3; s++) {
                    Arrays.sort(stages[s]);
                    median[s] = stages[s][2];
                    total += median[s];
                }
                String kind = reader.startsWith("com.sun") ? "JDK" : "TwelveMonkeys";
                System.out.printf(Locale.ROOT, "%-44s %8.2f %8.2f %8.2f %10.1f%n", kind + " + " + (direct ? "raster bytes" : "getRGB"),
                        median[0], median[1], median[2], 1000 / total);
            }
        }

        // the pipeline's own path on 1 to all cores at once: what a GPU executor's decode threads reach
        // together, for the cores per GPU (docs/performance.md)
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "%nthe pipeline's decode (ImageDecoder, then Preprocessing), T threads at once, best of 3%n");
        System.out.printf(Locale.ROOT, "%8s %10s %12s%n", "threads", "images/s", "per thread");
        for (int threads = 1; threads <= cores; threads = threads == cores ? cores + 1 : Math.min(cores, threads * 2)) {
            double rate = together(files, preprocessing, threads);
            System.out.printf(Locale.ROOT, "%8d %10.0f %12.0f%n", threads, rate, rate / threads);
        }
    }

    /** Images/s of {@code threads} threads each decoding and preprocessing every file, best of 3 rounds after a warm-up. */
    private static double together(List<byte[]> files, Preprocessing preprocessing, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double best = 0;
            for (int round = 0; round < 4; round++) {
                List<Future<?>> running = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    running.add(pool.submit(() -> {
                        for (byte[] bytes : files) {
                            preprocessing.apply(ImageDecoder.decode(bytes));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    f.get();
                }
                double rate = threads * files.size() / ((System.nanoTime() - t0) / 1e9);
                best = round == 0 ? 0 : Math.max(best, rate); // round 0 warms up each thread's JIT'd path
            }
            return best;
        } finally {
            pool.shutdown();
        }
    }

    /** Decodes, converts and resizes every file; adds each stage's milliseconds to {@code ms}. */
    private static void round(List<byte[]> files, String readerClass, boolean direct, Preprocessing preprocessing, double[] ms)
            throws Exception {
        for (byte[] bytes : files) {
            long t0 = System.nanoTime();
            BufferedImage image;
            try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
                ImageReader reader = null;
                for (Iterator<ImageReader> it = ImageIO.getImageReaders(in); it.hasNext(); ) {
                    ImageReader candidate = it.next();
                    if (candidate.getClass().getName().equals(readerClass)) {
                        reader = candidate;
                    }
                }
                reader.setInput(in, true, true);
                image = reader.read(0);
                reader.dispose();
            }
            long t1 = System.nanoTime();
            float[][] planes = direct ? RgbPlanes.of(image) : RgbPlanes.viaGetRgb(image);
            long t2 = System.nanoTime();
            for (float[] plane : planes) {
                BilinearResize.resize(plane, image.getHeight(), image.getWidth(), preprocessing.size(), preprocessing.size());
            }
            long t3 = System.nanoTime();
            ms[0] += (t1 - t0) / 1e6;
            ms[1] += (t2 - t1) / 1e6;
            ms[2] += (t3 - t2) / 1e6;
        }
    }
}
