package org.ckaatlas.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A deterministic ImageNet-style sample data set: {@code out/<class>/<class>_<i>.JPEG}, each class a
 * different kind of structure (gratings, checkerboards, blobs, rings, gradients, noise textures, plaids,
 * dots) with per-image random parameters, colours and ImageNet-like sizes. The same arguments write
 * byte-identical files, so the demo and the tests need no download.
 */
public final class SampleData {
    /** The kinds of structure, one per class (cycled when there are more classes). */
    public enum Kind { GRATING, CHECKERBOARD, BLOBS, RINGS, GRADIENT, NOISE, PLAID, DOTS }

    private static final int[][] SIZES = {{500, 375}, {375, 500}, {500, 333}, {400, 400}, {500, 400}, {333, 500}};

    private SampleData() {}

    /** Writes classes x perClass JPEGs under out; returns the number written. */
    public static int write(Path out, int classes, int perClass, long seed) throws IOException {
        int written = 0;
        for (int c = 0; c < classes; c++) {
            Kind kind = Kind.values()[c % Kind.values().length];
            String label = String.format(Locale.ROOT, "c%02d_%s", c, kind.name().toLowerCase(Locale.ROOT));
            Path dir = Files.createDirectories(out.resolve(label));
            for (int i = 0; i < perClass; i++) {
                SplittableRandom random = new SplittableRandom(seed * 1_000_003L + c * 10_007L + i);
                writeJpeg(render(kind, random), dir.resolve(String.format(Locale.ROOT, "%s_%04d.JPEG", label, i)));
                written++;
            }
        }
        return written;
    }

    /** One image of the given kind; all randomness comes from {@code random}. */
    static BufferedImage render(Kind kind, SplittableRandom random) {
        int[] size = SIZES[random.nextInt(SIZES.length)];
        int w = size[0];
        int h = size[1];
        float[] a = randomColour(random);
        float[] b = randomColour(random);
        Field field = field(kind, w, h, random);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = Math.max(0, Math.min(1, field.at(x, y) + 0.04 * random.nextDouble() - 0.02));
                int r = (int) (255 * (a[0] + t * (b[0] - a[0])));
                int g = (int) (255 * (a[1] + t * (b[1] - a[1])));
                int bl = (int) (255 * (a[2] + t * (b[2] - a[2])));
                rgb[y * w + x] = (r << 16) | (g << 8) | bl;
            }
        }
        image.setRGB(0, 0, w, h, rgb, 0, w);
        return image;
    }

    /** A scalar field in [0,1] over the image: where the structure of each kind lives. */
    private interface Field {
        double at(int x, int y);
    }

    private static Field field(Kind kind, int w, int h, SplittableRandom r) {
        double angle = r.nextDouble() * Math.PI;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double period = 8 + r.nextDouble() * 40;
        double phase = r.nextDouble() * 2 * Math.PI;
        switch (kind) {
            case GRATING:
                return (x, y) -> 0.5 + 0.5 * Math.sin(2 * Math.PI * (x * cos + y * sin) / period + phase);
            case CHECKERBOARD:
                return (x, y) -> {
                    long u = (long) Math.floor((x * cos + y * sin) / period);
                    long v = (long) Math.floor((-x * sin + y * cos) / period);
                    return ((u + v) & 1) == 0 ? 0.1 : 0.9;
                };
            case BLOBS: {
                int count = 3 + r.nextInt(8);
                double[][] blobs = new double[count][];
                for (int i = 0; i < count; i++) {
                    blobs[i] = new double[] {r.nextDouble() * w, r.nextDouble() * h, 10 + r.nextDouble() * 60};
                }
                return (x, y) -> {
                    double s = 0;
                    for (double[] bl : blobs) {
                        double dx = x - bl[0];
                        double dy = y - bl[1];
                        s += Math.exp(-(dx * dx + dy * dy) / (2 * bl[2] * bl[2]));
                    }
                    return Math.min(1, s);
                };
            }
            case RINGS: {
                double cx = w * (0.2 + 0.6 * r.nextDouble());
                double cy = h * (0.2 + 0.6 * r.nextDouble());
                return (x, y) -> 0.5 + 0.5 * Math.cos(2 * Math.PI * Math.hypot(x - cx, y - cy) / period + phase);
            }
            case GRADIENT:
                return (x, y) -> Math.max(0, Math.min(1, ((x - w / 2.0) * cos + (y - h / 2.0) * sin) / Math.hypot(w, h) + 0.5));
            case NOISE: {
                double cell = 6 + r.nextDouble() * 30;
                ValueNoise noise = new ValueNoise(r, (int) (w / cell) + 2, (int) (h / cell) + 2);
                return (x, y) -> noise.at(x / cell, y / cell);
            }
            case PLAID: {
                double period2 = 8 + r.nextDouble() * 40;
                return (x, y) -> 0.5 + 0.25 * Math.sin(2 * Math.PI * (x * cos + y * sin) / period)
                        + 0.25 * Math.sin(2 * Math.PI * (-x * sin + y * cos) / period2 + phase);
            }
            case DOTS: {
                double radius = period * (0.15 + 0.25 * r.nextDouble());
                return (x, y) -> {
                    double u = x * cos + y * sin;
                    double v = -x * sin + y * cos;
                    double du = u - period * Math.floor(u / period) - period / 2;
                    double dv = v - period * Math.floor(v / period) - period / 2;
                    return Math.hypot(du, dv) < radius ? 1 : 0;
                };
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /** Smooth random texture: random values on a coarse grid, bilinearly interpolated. */
    private static final class ValueNoise {
        private final double[] grid;
        private final int gw;

        ValueNoise(SplittableRandom r, int gw, int gh) {
            this.gw = gw;
            grid = new double[gw * gh];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = r.nextDouble();
            }
        }

        double at(double x, double y) {
            int x0 = (int) x;
            int y0 = (int) y;
            double fx = x - x0;
            double fy = y - y0;
            double top = grid[y0 * gw + x0] * (1 - fx) + grid[y0 * gw + x0 + 1] * fx;
            double bottom = grid[(y0 + 1) * gw + x0] * (1 - fx) + grid[(y0 + 1) * gw + x0 + 1] * fx;
            return top * (1 - fy) + bottom * fy;
        }
    }

    private static float[] randomColour(SplittableRandom r) {
        return new float[] {(float) r.nextDouble(), (float) r.nextDouble(), (float) r.nextDouble()};
    }

    private static void writeJpeg(BufferedImage image, Path file) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        try (OutputStream os = Files.newOutputStream(file); ImageOutputStream ios = ImageIO.createImageOutputStream(os)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
