package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The device path against the original analysis's algorithm: pairwise, explicit centring matrices, float64. */
class ChannelCkaTest {
    /** (B, C, h, w) of random values, some channels scaled so the matrix is not all ~0. */
    private static double[] activations(Random random, int b, int c, int h, int w) {
        double[] a = new double[b * c * h * w];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextGaussian();
        }
        // make channel 1 of every image a linear function of channel 0, so some entries are far from 0
        for (int img = 0; img < b && c > 1; img++) {
            for (int k = 0; k < h * w; k++) {
                int base = img * c * h * w;
                a[base + h * w + k] = 0.5 * a[base + k] + 0.1 * a[base + h * w + k];
            }
        }
        return a;
    }

    private static double[][] channel(double[] a, int img, int ch, int c, int h, int w) {
        double[][] m = new double[h][w];
        int base = (img * c + ch) * h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                m[y][x] = a[base + y * w + x];
            }
        }
        return m;
    }

    @ParameterizedTest
    // "2, 3, 33, 6" and "1, 4, 40, 40" take the row-halves path (h >= 32), with halves of 16 and 17 rows, and
    // 20 and 20; 256 channels over 14 x 14 take oneDNN's inner products in float32 whole (196 terms), matmul in halves
    @CsvSource({"2, 3, 5, 5", "3, 4, 7, 4", "1, 6, 4, 9", "2, 5, 8, 8", "2, 3, 33, 6", "1, 4, 40, 40", "2, 256, 14, 14"})
    void agreesWithThePairwiseFloat64Reference(int b, int c, int h, int w) {
        double[] a = activations(new Random(b * 1000 + c * 100 + h * 10 + w), b, c, h, w);
        float[] a32 = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a32[i] = (float) a[i];
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Shape shape = new Shape(b, c, h, w);
            double[] m64 = ChannelCka.matrices(manager.create(a, shape)).toDoubleArray();
            float[] m32 = ChannelCka.matrices(manager.create(a32, shape)).toFloatArray();
            // the other path: whole Grams where the default takes row halves, and row halves where it does not
            float[] other = ChannelCka.matrices(manager.create(a32, shape), h >= 32 ? Long.MAX_VALUE : 1).toFloatArray();
            for (int img = 0; img < b; img++) {
                for (int i = 0; i < c; i++) {
                    for (int j = 0; j < c; j++) {
                        double expected = Reference.linearCka(channel(a, img, i, c, h, w), channel(a, img, j, c, h, w));
                        int at = (img * c + i) * c + j;
                        assertEquals(expected, m64[at], 1e-9, "float64 " + img + ":" + i + "," + j);
                        assertEquals(expected, m32[at], 1e-5, "float32 " + img + ":" + i + "," + j);
                        assertEquals(expected, other[at], 1e-5, "float32, the other path " + img + ":" + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void aWideLayerOnOneDnnsProductsIsTheFloat64PathsWholeAndInRowHalves() {
        // 256 x 28 x 28: whole, the products run over 784 terms on oneDNN; in row halves over 392 and 196, both on
        // oneDNN too, added out of place (its products are inference tensors); float64 runs matmul
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = manager.randomNormal(new Shape(1, 256, 28, 28)).maximum(0);
            double[] m64 = ChannelCka.matrices(a.toType(DataType.FLOAT64, true)).toDoubleArray();
            float[] whole = ChannelCka.matrices(a, Long.MAX_VALUE).toFloatArray();
            float[] halves = ChannelCka.matrices(a, 1).toFloatArray();
            for (int k = 0; k < m64.length; k++) {
                assertEquals(m64[k], whole[k], 1e-5, "whole, entry " + k);
                assertEquals(m64[k], halves[k], 1e-5, "row halves, entry " + k);
            }
        }
    }

    @Test
    void aBatchTooLargeForOnePassIsTakenInChunksWithTheSameNumbers() {
        // 64 x 256 x 256 float32 maps: 16 MiB per image, so a batch of 3 goes one image at a time
        int b = 3;
        int c = 64;
        int h = 256;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = manager.randomNormal(new Shape(b, c, h, h));
            float[] batched = ChannelCka.matrices(a).toFloatArray();
            assertEquals(b * c * c, batched.length);
            for (int img = 0; img < b; img++) {
                float[] alone = ChannelCka.matrices(a.get(img).expandDims(0)).toFloatArray();
                for (int k = 0; k < c * c; k++) {
                    assertEquals(alone[k], batched[img * c * c + k], 0f, "image " + img + ", entry " + k);
                }
            }
        }
    }

    @Test
    void theOnePassReductionIsEachImagesSummaryAndTheEntrywiseSums() {
        // images 0 and 2 have no dead channel (the unchecked path), 1 and 3 one each; 7 x 7 entries leave a
        // remainder after the loop's steps of four
        int b = 4;
        int c = 7;
        int h = 7;
        double[] a = activations(new Random(11), b, c, h, h);
        for (int k = 0; k < h * h; k++) {
            a[(1 * c + 4) * h * h + k] = 0;   // image 1, channel 4: dead
            a[(3 * c + 2) * h * h + k] = 2.5; // image 3, channel 2: constant
        }
        float[] a32 = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a32[i] = (float) a[i];
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray m = ChannelCka.matrices(manager.create(a32, new Shape(b, c, h, h)));
            float[] host = m.toFloatArray();
            // read in place, as the pipeline does
            ChannelCka.Reduced reduced = ChannelCka.reduce(ChannelCka.floats(m), b, c, true);
            assertEquals(null, ChannelCka.reduce(ChannelCka.floats(m), b, c, false).sums());
            double[] sums = new double[c * c];
            long[] counts = new long[c * c];
            for (int img = 0; img < b; img++) {
                ChannelCka.Summary expected = Reference.channelSummary(host, img * c * c, c);
                ChannelCka.Summary got = reduced.summaries()[img];
                assertEquals(expected.deadChannels(), got.deadChannels(), "image " + img);
                assertEquals(expected.meanOffDiagonal(), got.meanOffDiagonal(), 1e-12, "image " + img);
                for (int k = 0; k < c * c; k++) {
                    if (!Float.isNaN(host[img * c * c + k])) {
                        sums[k] += host[img * c * c + k];
                        counts[k]++;
                    }
                }
            }
            assertEquals(1, reduced.summaries()[1].deadChannels());
            assertEquals(1, reduced.summaries()[3].deadChannels());
            assertEquals(b - 1, counts[4 * c + 4], "the dead channel's entries count only where it lived");
            for (int k = 0; k < c * c; k++) {
                assertEquals(counts[k], reduced.counts()[k], "entry " + k);
                assertEquals(sums[k], reduced.sums()[k], 1e-12, "entry " + k);
            }
        }
    }

    @Test
    void deadAndConstantChannelsAreNanAndCounted() {
        int c = 4;
        int h = 6;
        int w = 5;
        double[] a = activations(new Random(3), 1, c, h, w);
        for (int k = 0; k < h * w; k++) {
            a[2 * h * w + k] = 0;      // a dead ReLU
            a[3 * h * w + k] = 0.37;   // a constant map
        }
        float[] a32 = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a32[i] = (float) a[i];
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray m = ChannelCka.matrices(manager.create(a32, new Shape(1, c, h, w)));
            assertEquals(DataType.FLOAT32, m.getDataType());
            float[] v = m.toFloatArray();
            for (int j = 0; j < c; j++) {
                assertTrue(Float.isNaN(v[2 * c + j]) && Float.isNaN(v[j * c + 2]), "dead row and column");
                assertTrue(Float.isNaN(v[3 * c + j]) && Float.isNaN(v[j * c + 3]), "constant row and column");
            }
            assertEquals(1.0, v[0], 1e-6);
            ChannelCka.Summary s = ChannelCka.reduce(FloatBuffer.wrap(v), 1, c, false).summaries()[0];
            assertEquals(2, s.deadChannels());
            assertEquals(v[1], s.meanOffDiagonal(), 1e-7, "the one live off-diagonal pair, both ways");
        }
    }
}
