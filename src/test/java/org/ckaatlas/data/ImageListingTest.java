package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** {@code ln -s .. DATA/c00/loop} once turned 32 images into 1,312, mislabelled. */
    @Test
    void aLinkToAParentIsALoopListedOnceWithANote() throws IOException {
        for (int c = 0; c < 4; c++) {
            for (int i = 0; i < 8; i++) {
                touch("c0" + c + "/" + i + ".png");
            }
        }
        Files.createSymbolicLink(root.resolve("c00/loop"), Path.of(".."));
        List<String> notes = new ArrayList<>();
        List<ImageRef> images = ImageListing.list(root.toString(), new Configuration(), notes);
        assertEquals(32, images.size());
        assertEquals(8, images.stream().filter(i -> i.label().equals("c00")).count());
        assertEquals(List.of("c00/loop: a link to '.' inside --data: not followed (that folder is listed under its own path)"), notes);
    }

    @Test
    void aLinkInsideTheRootIsNotFollowedItsTargetIsListedOnce() throws IOException {
        touch("cats/a.jpg");
        touch("dogs/b.jpg");
        Files.createSymbolicLink(root.resolve("animals"), Path.of("cats"));
        List<String> notes = new ArrayList<>();
        assertEquals(List.of("cats/a.jpg", "dogs/b.jpg"), ids(ImageListing.list(root.toString(), new Configuration(), notes)));
        assertEquals(List.of("animals: a link to 'cats' inside --data: not followed (that folder is listed under its own path)"), notes);
    }

    /** A data set assembled from links to class folders elsewhere: followed, each real folder once. */
    @Test
    void aLinkOutOfTheRootIsFollowedOnce(@TempDir Path elsewhere) throws IOException {
        Path cats = Files.createDirectories(elsewhere.resolve("cats"));
        Files.write(cats.resolve("c.jpg"), new byte[] {1});
        Files.write(elsewhere.resolve("single.jpg"), new byte[] {1});
        Files.createSymbolicLink(cats.resolve("again"), cats);
        Files.createDirectories(root.resolve("dogs"));
        Files.createSymbolicLink(root.resolve("dogs/d.jpg"), elsewhere.resolve("single.jpg"));
        Files.createSymbolicLink(root.resolve("cats"), cats);
        Files.createSymbolicLink(root.resolve("felines"), cats);
        List<String> notes = new ArrayList<>();
        List<ImageRef> images = ImageListing.list(root.toString(), new Configuration(), notes);
        assertEquals(List.of("cats/c.jpg", "dogs/d.jpg"), ids(images));
        assertEquals(List.of("cats", "dogs"), images.stream().map(ImageRef::label).collect(Collectors.toList()));
        String real = cats.toRealPath().toString();
        assertEquals(List.of("cats/again: leads to " + real + ", already listed: not followed again",
                "felines: leads to " + real + ", already listed: not followed again"), notes);
    }

    private static List<String> ids(List<ImageRef> images) {
        return images.stream().map(ImageRef::imageId).collect(Collectors.toList());
    }

    private void touch(String relative) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {1});
    }
}
