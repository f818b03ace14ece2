package org.ckaatlas.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ckaatlas.cka.Grams;
import org.junit.jupiter.api.Test;

class Vgg11Test {
    private static final int SIZE = 32;

    /** Runs two fixed images through the network; returns each layer's outputs and Grams as float arrays. */
    private static List<float[]> run(TappedNetwork network, List<float[]> grams) {
        List<float[]> outputs = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray images = manager.create(fixedInput(), new Shape(4, 3, SIZE, SIZE));
            network.forward(images, (layer, output) -> {
                LayerInfo info = Vgg11.layers(SIZE, false).get(layer);
                assertEquals(new Shape(4, info.channels(), info.height(), info.width()), output.getShape(), info.name());
                outputs.add(output.toFloatArray());
                try (NDArray g = Grams.linear(output)) {
                    grams.add(g.toFloatArray());
                }
            });
        }
        return outputs;
    }

    private static float[] fixedInput() {
        java.util.Random random = new java.util.Random(5);
        float[] x = new float[4 * 3 * SIZE * SIZE];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void eightConvLayersWithVgg11ShapesPreReluAndSeeded() {
        List<LayerInfo> layers = Vgg11.layers(224, false);
        assertEquals(8, layers.size());
        assertEquals(List.of(64, 128, 256, 256, 512, 512, 512, 512), layers.stream().map(LayerInfo::channels).toList());
        assertEquals(List.of(224, 112, 56, 56, 28, 28, 14, 14), layers.stream().map(LayerInfo::height).toList());
        assertEquals("conv1", layers.get(0).name());

        TappedNetwork a = ModelCache.get(new ModelSpec("vgg11", null, 1, false), Device.cpu());
        TappedNetwork again = ModelCache.get(new ModelSpec("vgg11", null, 1, false), Device.cpu());
        assertSame(a, again, "one model per JVM, spec and device");
        TappedNetwork b = ModelCache.get(new ModelSpec("vgg11", null, 2, false), Device.cpu());

        List<float[]> gramsA = new ArrayList<>();
        List<float[]> outA = run(a, gramsA);
        List<float[]> outA2 = run(a, new ArrayList<>());
        List<float[]> outB = run(b, new ArrayList<>());
        assertEquals(8, outA.size());
        for (int i = 0; i < 8; i++) {
            assertArrayEquals(outA.get(i), outA2.get(i), "layer " + i + " is deterministic");
            assertFalse(Arrays.equals(outA.get(i), outB.get(i)), "another seed, other weights: layer " + i);
            float min = Float.MAX_VALUE;
            for (float v : outA.get(i)) {
                min = Math.min(min, v);
            }
            assertTrue(min < 0, "the default tap is the conv output before ReLU, so it has negatives: layer " + i);
        }
        // the Gram is X X^T of the flattened outputs
        float[] x = outA.get(7);
        int d = x.length / 4;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += (double) x[i * d + k] * x[j * d + k];
                }
                assertEquals(s, gramsA.get(7)[i * 4 + j], 1e-4 * Math.abs(s) + 1e-6);
            }
        }
    }

    /** Every tap of a forward, as float arrays. */
    private static List<float[]> taps(TappedNetwork network, NDArray images) {
        List<float[]> taps = new ArrayList<>();
        network.forward(images, (layer, output) -> taps.add(output.toFloatArray()));
        return taps;
    }

    @Test
    void theBlockedCpuForwardIsBitIdenticalToTheEagerOneAndTheLayoutFollowsTheDevice() throws Exception {
        assertEquals(Layout.BLOCKED, Layout.forDevice(Device.cpu()));
        assertEquals(Layout.DENSE, Layout.forDevice(Device.gpu()), "a GPU keeps the eager forward, as cuDNN expects");
        ModelSpec spec = ModelSpec.parse("vgg11:seed=4,input=32");
        assertThrows(IllegalArgumentException.class, () -> ModelCache.load(spec, Device.gpu(), Layout.BLOCKED));
        for (boolean post : new boolean[] {false, true}) {
            TappedNetwork blocked = ModelCache.load(spec.withPostRelu(post), Device.cpu());
            TappedNetwork dense = ModelCache.load(spec.withPostRelu(post), Device.cpu(), Layout.DENSE);
            assertEquals(Layout.BLOCKED, blocked.layout(), "a CPU runs blocked by default");
            assertEquals(Layout.DENSE, dense.layout());
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                // 3 images, then 2: a new batch size must not change anything either
                for (int n : new int[] {3, 2}) {
                    NDArray images = manager.create(Arrays.copyOf(fixedInput(), n * 3 * SIZE * SIZE), new Shape(n, 3, SIZE, SIZE));
                    List<float[]> a = taps(blocked, images);
                    List<float[]> b = taps(dense, images);
                    assertEquals(8, a.size());
                    for (int i = 0; i < 8; i++) {
                        assertArrayEquals(b.get(i), a.get(i), "bit-identical taps, layer " + i + ", post-relu " + post + ", batch " + n);
                    }
                }
            }
            ((AutoCloseable) blocked).close();
            ((AutoCloseable) dense).close();
        }
    }

    @Test
    void specsParseOrNameTheValidForms() {
        assertEquals(new ModelSpec("vgg11", null, 0, false), ModelSpec.parse("vgg11"));
        assertEquals(new ModelSpec("vgg11", null, 7, false), ModelSpec.parse("VGG11:seed=7"));
        assertEquals("torchscript", ModelSpec.parse("torchscript:/m.pt").kind());
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("torchscript:"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("resnet9000"));
        assertTrue(e.getMessage().contains("vgg11"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("vgg11:seed=x"));
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("vgg11:depth=3"));
    }
}
