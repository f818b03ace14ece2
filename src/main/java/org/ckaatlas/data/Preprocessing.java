package org.ckaatlas.data;

import java.awt.image.BufferedImage;
import java.io.Serializable;

/**
 * Image -> network input, with PyTorch semantics; output is CHW float32.
 * <ul>
 *   <li>{@link #resize}: the original analysis: RGB in [0,1] -> bilinear resize to size x size
 *       ({@code F.interpolate(mode='bilinear', align_corners=False)}, no antialias) -> normalise with the
 *       ImageNet mean and std;</li>
 *   <li>{@link #resizeCrop}: torchvision-style evaluation: the shorter side resized to {@code resize}
 *       (the longer as {@code int(resize * long / short)}), the same bilinear, then the centre
 *       size x size crop (torchvision's rounding), then the same normalisation.</li>
 * </ul>
 * The bilinear is the tensor one, without antialiasing; torchvision on PIL images antialiases when it
 * shrinks, so resize-crop equals torchvision's tensor pipeline with {@code antialias=False}.
 */
public final class Preprocessing implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private final int size;
    private final int resize;

    private Preprocessing(int size, int resize) {
        this.size = size;
        this.resize = resize;
    }

    /** Resize straight to size x size (the default, as the original analysis). */
    public static Preprocessing resize(int size) {
        return new Preprocessing(size, 0);
    }

    /** Shorter side to {@code resize}, then the centre size x size crop (torchvision: 256, 224). */
    public static Preprocessing resizeCrop(int resize, int size) {
        if (resize < size) {
            throw new IllegalArgumentException("resize " + resize + " is smaller than the crop " + size);
        }
        return new Preprocessing(size, resize);
    }

    /**
     * Parses --preprocessing for a network input of {@code size}: {@code resize}, {@code resize-crop}
     * (torchvision's 256 -> 224, scaled to the input size) or {@code resize-crop:R}.
     *
     * @throws IllegalArgumentException naming the valid forms
     */
    public static Preprocessing parse(String text, int size) {
        if (text.equals("resize")) {
            return resize(size);
        }
        if (text.equals("resize-crop")) {
            return resizeCrop((int) Math.round(size * 256.0 / 224.0), size);
        }
        if (text.startsWith("resize-crop:") && text.substring(12).matches("\\d{1,5}")) {
            return resizeCrop(Integer.parseInt(text.substring(12)), size);
        }
        throw new IllegalArgumentException("--preprocessing '" + text + "' (known: resize, resize-crop, resize-crop:R)");
    }

    /** Side of the square output. */
    public int size() {
        return size;
    }

    /** How the configuration names it: "resize" or "resize-crop:R". */
    public String describe() {
        return resize == 0 ? "resize" : "resize-crop:" + resize;
    }

    /** CHW floats of length 3 x size x size. Alpha is dropped; grey, palette and CMYK arrive as RGB. */
    public float[] apply(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] planes = RgbPlanes.of(image);
        int outH = size;
        int outW = size;
        if (resize > 0) {
            outH = h <= w ? resize : (int) ((long) resize * h / w);
            outW = h <= w ? (int) ((long) resize * w / h) : resize;
        }
        // torchvision's int(round(...)): Python rounds halves to even, as Math.rint does
        int top = (int) Math.rint((outH - size) / 2.0);
        int left = (int) Math.rint((outW - size) / 2.0);
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            float[] resized = BilinearResize.resize(planes[c], h, w, outH, outW);
            float mean = IMAGENET_MEAN[c];
            float std = IMAGENET_STD[c];
            int offset = c * size * size;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    out[offset + y * size + x] = (resized[(top + y) * outW + left + x] - mean) / std;
                }
            }
        }
        return out;
    }
}
