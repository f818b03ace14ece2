package org.ckaatlas.analysis;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ckaatlas.data.ImageRef;

/**
 * A batch's images read, decoded and preprocessed, in the batch's order: the input tensor's floats
 * for the images that decoded, and every image's outcome. What the forward pass starts from.
 *
 * @param input the decoded images' pixels, image after image, ready to read (flipped)
 * @param decoded the images in {@code input}, in order
 * @param outcomes every image of the batch, decoded or failed, in batch order
 * @param times read and decode time of its images (on whichever threads decoded them)
 */
public record DecodedBatch(WorkItem item, FloatBuffer input, List<ImageRef> decoded, List<ImageOutcome> outcomes,
        StageTimes times) {

    /** One image's part of a batch: its pixels, or why it has none. */
    public record Image(ImageRef ref, float[] pixels, int width, int height, String error, long readNanos, long decodeNanos) {}

    /** Puts a batch together from its images, decoded in any order or on any thread, in batch order. */
    static DecodedBatch of(WorkItem item, List<Image> images, int pixelsPerImage) {
        StageTimes times = new StageTimes();
        long ok = images.stream().filter(i -> i.pixels() != null).count();
        FloatBuffer input = FloatBuffer.allocate(Math.toIntExact(ok * pixelsPerImage));
        List<ImageRef> decoded = new ArrayList<>();
        List<ImageOutcome> outcomes = new ArrayList<>();
        int batch = item.batch().index();
        for (Image image : images) {
            ImageRef ref = image.ref();
            times.add(StageTimes.READ, image.readNanos());
            times.add(StageTimes.DECODE, image.decodeNanos());
            if (image.pixels() == null) {
                outcomes.add(ImageOutcome.failed(ref.imageId(), ref.label(), batch, image.error()));
            } else {
                input.put(image.pixels());
                decoded.add(ref);
                outcomes.add(ImageOutcome.ok(ref.imageId(), ref.label(), batch, image.width(), image.height()));
            }
        }
        input.flip();
        return new DecodedBatch(item, input, decoded, outcomes, times);
    }
}
