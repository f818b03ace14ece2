package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Our decode + preprocessing against PyTorch's (PIL decoding, F.interpolate, normalisation) on the
 * committed images of src/test/resources/images (make_images.py). Differences are measured in pixel
 * units ([0,1] scale, i.e. the normalised difference times the channel's std): JPEG decoders may differ
 * by a level, so JPEG sources get 2/255 max and 2e-3 mean; lossless sources must agree to 1e-5.
 */
class GoldenPreprocessingTest {
    private static final Path DIR = Path.of("src/test/resources/images");

    @Test
    void everyFixtureMatchesPytorchsTensorInBothPreprocessings() throws IOException {
        JsonObject meta = JsonParser.parseString(Files.readString(DIR.resolve("golden.json"))).getAsJsonObject();
        int size = meta.get("size").getAsInt();
        int resize = meta.get("resize").getAsInt();
        FloatBuffer golden = ByteBuffer.wrap(Files.readAllBytes(DIR.resolve("golden.bin"))).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        JsonArray images = meta.getAsJsonArray("images");
        StringBuilder report = new StringBuilder();
        boolean ok = true;
        for (int i = 0; i < images.size(); i++) {
            String name = images.get(i).getAsString();
            var decoded = ImageDecoder.decode(Files.readAllBytes(DIR.resolve(name)));
            boolean lossless = !name.endsWith(".jpg");
            for (Preprocessing p : new Preprocessing[] {Preprocessing.resize(size), Preprocessing.resizeCrop(resize, size)}) {
                float[] expected = new float[3 * size * size];
                golden.get(expected);
                float[] actual = p.apply(decoded);
                double max = 0;
                double sum = 0;
                for (int k = 0; k < expected.length; k++) {
                    double d = Math.abs(expected[k] - actual[k]) * Preprocessing.IMAGENET_STD[k / (size * size)];
                    max = Math.max(max, d);
                    sum += d;
                }
                double mean = sum / expected.length;
                boolean pass = lossless ? max <= 1e-5 : max <= 2 / 255.0 + 1e-6 && mean <= 2e-3;
                ok &= pass;
                report.append(String.format(Locale.ROOT, "%-18s %-14s max %.2e (%.2f levels) mean %.2e %s%n", name,
                        p.describe(), max, max * 255, mean, pass ? "ok" : "FAIL"));
            }
        }
        System.out.print(report);
        assertTrue(ok, report.toString());
    }
}
