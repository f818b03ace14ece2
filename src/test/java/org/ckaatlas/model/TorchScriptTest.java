package org.ckaatlas.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed fixture (src/test/resources/fixtures/make_fixtures.py) against PyTorch's own activations. */
class TorchScriptTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/tiny_vgg.pt");

    @TempDir
    Path dir;

    @Test
    void djlActivationsMatchPytorchsGoldenOnes() throws IOException {
        ModelSpec spec = ModelSpec.parse("torchscript:" + FIXTURE);
        ModelDescription description = ModelDescription.of(spec);
        assertEquals(32, description.inputSize());
        assertEquals(List.of("0", "3", "6"), description.names());
        FloatBuffer golden = ByteBuffer.wrap(Files.readAllBytes(Path.of("src/test/resources/fixtures/tiny_vgg_golden.bin")))
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] input = new float[2 * 3 * 32 * 32];
        golden.get(input);
        TappedNetwork network = ModelCache.get(spec, Device.cpu());
        List<float[]> outputs = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            network.forward(manager.create(input, new Shape(2, 3, 32, 32)), (layer, output) -> outputs.add(output.toFloatArray()));
        }
        assertEquals(3, outputs.size());
        float min = 0;
        for (int i = 0; i < 3; i++) {
            float[] expected = new float[outputs.get(i).length];
            golden.get(expected);
            assertArrayEquals(expected, outputs.get(i), 1e-5f, "layer " + description.names().get(i));
            for (float v : outputs.get(i)) {
                min = Math.min(min, v);
            }
        }
        assertTrue(min < 0, "pre-ReLU taps: the conv outputs keep their negatives despite the in-place ReLUs");
    }

    @Test
    void theExportersBlockedVariantRunsOnCpusWithTheDenseFilesNumbersAndIsOptional() throws Exception {
        ModelSpec spec = ModelSpec.parse("torchscript:" + FIXTURE);
        // a copy without the variant the sidecar names still runs, dense; so does one whose variant is damaged
        Path pt = Files.copy(FIXTURE, dir.resolve("m.pt"));
        Files.copy(Path.of(FIXTURE + ".json"), dir.resolve("m.pt.json"));
        Path damaged = Files.createDirectory(dir.resolve("damaged"));
        Path pt2 = Files.copy(FIXTURE, damaged.resolve("tiny_vgg.pt"));
        Files.copy(Path.of(FIXTURE + ".json"), damaged.resolve("tiny_vgg.pt.json"));
        Files.write(damaged.resolve("tiny_vgg.blocked.pt"), Arrays.copyOf(Files.readAllBytes(
                Path.of("src/test/resources/fixtures/tiny_vgg.blocked.pt")), 700));
        TappedNetwork[] networks = {
            ModelCache.load(spec, Device.cpu()),
            ModelCache.load(spec, Device.cpu(), Layout.DENSE),
            ModelCache.load(ModelSpec.parse("torchscript:" + pt), Device.cpu()),
            ModelCache.load(ModelSpec.parse("torchscript:" + pt2), Device.cpu()),
        };
        assertEquals(Layout.BLOCKED, networks[0].layout(), "the fixture's sidecar names tiny_vgg.blocked.pt");
        assertEquals(Layout.DENSE, networks[1].layout());
        assertEquals(Layout.DENSE, networks[2].layout(), "no variant beside the copy: the dense file");
        assertEquals(Layout.DENSE, networks[3].layout(), "a truncated variant: the dense file");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            var images = manager.randomNormal(new Shape(3, 3, 32, 32));
            List<List<float[]>> taps = new ArrayList<>();
            for (TappedNetwork network : networks) {
                List<float[]> t = new ArrayList<>();
                network.forward(images, (layer, output) -> t.add(output.toFloatArray()));
                taps.add(t);
                ((AutoCloseable) network).close();
            }
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(taps.get(1).get(i), taps.get(0).get(i), "blocked = dense, layer " + i);
                assertArrayEquals(taps.get(1).get(i), taps.get(2).get(i), "layer " + i);
                assertArrayEquals(taps.get(1).get(i), taps.get(3).get(i), "layer " + i);
            }
        }
    }

    @Test
    void aMissingWrongOrMismatchedSidecarSaysWhatIsWrong() throws IOException {
        Path pt = Files.copy(FIXTURE, dir.resolve("m.pt"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ModelDescription.of(ModelSpec.parse("torchscript:" + pt)));
        assertTrue(missing.getMessage().contains("no sidecar"), missing.getMessage());

        Files.writeString(dir.resolve("m.pt.json"), "{\"layers\": 3}");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> ModelDescription.of(ModelSpec.parse("torchscript:" + pt)));
        assertTrue(wrong.getMessage().contains("not a cka-atlas sidecar"), wrong.getMessage());

        String sidecar = Files.readString(Path.of(FIXTURE + ".json"));
        Files.writeString(dir.resolve("m.pt.json"), sidecar.replaceFirst("8,\\s*32,\\s*32", "8, 30, 30"));
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> ModelCheck.check(ModelSpec.parse("torchscript:" + pt)));
        assertTrue(mismatch.getMessage().contains("does not match its sidecar"), mismatch.getMessage());

        assertThrows(IllegalArgumentException.class, () -> ModelDescription.of(ModelSpec.parse("torchscript:" + dir.resolve("nope.pt"))));
    }

    @Test
    void postReluTapsHaveNoNegativesAndSavedParametersReload() throws IOException {
        ModelSpec seeded = new ModelSpec("vgg11", null, 3, false).withPostRelu(false);
        BuiltInNetwork original = (BuiltInNetwork) ModelCache.load(seeded, Device.cpu());
        Path params = dir.resolve("vgg11.params");
        original.saveParameters(params);
        TappedNetwork reloaded = ModelCache.load(ModelSpec.parse("djl:" + params), Device.cpu());
        TappedNetwork post = ModelCache.load(seeded.withPostRelu(true), Device.cpu());
        assertEquals("post-relu", post.layers().get(0).tap());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            var images = manager.randomNormal(new Shape(2, 3, 32, 32));
            List<float[]> a = new ArrayList<>();
            List<float[]> b = new ArrayList<>();
            float[] minPost = {Float.MAX_VALUE};
            original.forward(images, (layer, output) -> a.add(output.toFloatArray()));
            reloaded.forward(images, (layer, output) -> b.add(output.toFloatArray()));
            post.forward(images, (layer, output) -> {
                for (float v : output.toFloatArray()) {
                    minPost[0] = Math.min(minPost[0], v);
                }
            });
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), "djl:PATH reproduces the saved network, layer " + i);
            }
            assertTrue(minPost[0] >= 0, "post-relu taps have no negatives: " + minPost[0]);
        }
        original.close();
    }
}
