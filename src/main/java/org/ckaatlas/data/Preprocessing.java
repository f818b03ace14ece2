package org.ckaatlas.data;

import java.awt.image.BufferedImage;
import java.io.Serializable;

/**
 * The original analysis's preprocessing, with PyTorch semantics: RGB -> float in [0,1] -> bilinear
 * resize to size x size ({@code F.interpolate(mode='bilinear', align_corners=False)}, no antialias)
 * -> normalise with the ImageNet mean and std. Output is CHW float32, ready to be one row of a batch.
 */
public final class Preprocessing implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private final int size;

    public Preprocessing(int size) {
        this.size = size;
    }

    /** The default: 224 x 224, as VGG11 on ImageNet. */
    public static Preprocessing standard() {
        return new Preprocessing(224);
    }

    public int size() {
        return size;
    }

    /** CHW floats of length 3 * size * size. Alpha is dropped; grey, palette and CMYK arrive as RGB. */
    public float[] apply(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        float[] out = new float[3 * size * size];
        float[] plane = new float[w * h];
        for (int c = 0; c < 3; c++) {
            int shift = 16 - 8 * c;
            for (int i = 0; i < plane.length; i++) {
                plane[i] = ((argb[i] >> shift) & 0xff) / 255f;
            }
            float[] resized = BilinearResize.resize(plane, h, w, size, size);
            float mean = IMAGENET_MEAN[c];
            float std = IMAGENET_STD[c];
            int offset = c * size * size;
            for (int i = 0; i < resized.length; i++) {
                out[offset + i] = (resized[i] - mean) / std;
            }
        }
        return out;
    }
}
