package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageListingTest {
    @TempDir
    Path root;

    @Test
    void listsImagesByLabelSkippingHiddenAndNonImageFiles() throws IOException {
        touch("dog/a.JPEG");
        touch("dog/nested/b.png");
        touch("cat/c.jpg");
        touch("cat/.hidden.jpg");
        touch(".git/d.jpg");
        touch("cat/README.txt");
        touch("loose.jpg");
        touch("ünïcode class/e f.Jpeg");
        Files.createDirectories(root.resolve("empty"));

        List<ImageRef> images = ImageListing.list(root.toString(), new Configuration());
        assertEquals(List.of("cat/c.jpg", "dog/a.JPEG", "dog/nested/b.png", "ünïcode class/e f.Jpeg"),
                images.stream().map(ImageRef::imageId).collect(Collectors.toList()));
        assertEquals(List.of("cat", "dog", "dog", "ünïcode class"),
                images.stream().map(ImageRef::label).collect(Collectors.toList()));
    }

    @Test
    void aMissingRootIsAnError() {
        assertThrows(IOException.class, () -> ImageListing.list(root.resolve("nope").toString(), new Configuration()));
    }

    private void touch(String relative) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {1});
    }
}
