package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleDataTest {
    @TempDir
    Path dir;

    @Test
    void writesADeterministicImagenetStyleFolderOfDecodableJpegs() throws IOException {
        assertEquals(6, SampleData.write(dir.resolve("a"), 3, 2, 42));
        SampleData.write(dir.resolve("b"), 3, 2, 42);
        SampleData.write(dir.resolve("c"), 3, 2, 43);
        List<ImageRef> images = ImageListing.list(dir.resolve("a").toString(), new Configuration());
        assertEquals(6, images.size());
        assertEquals(3, images.stream().map(ImageRef::label).distinct().count());
        for (ImageRef image : images) {
            byte[] a = Files.readAllBytes(dir.resolve("a").resolve(image.imageId()));
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("b").resolve(image.imageId())), image.imageId());
            assertNotEquals(a.length, Files.readAllBytes(dir.resolve("c").resolve(image.imageId())).length);
            BufferedImage decoded = ImageDecoder.decode(a);
            assertTrue(decoded.getWidth() >= 333 && decoded.getHeight() >= 333, image.imageId());
        }
    }
}
