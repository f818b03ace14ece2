package org.ckaatlas.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/**
 * A decoded image as three float planes in [0,1], as PIL's {@code convert("RGB")} followed by
 * {@code ToTensor} would give them.
 *
 * <p>Grey images are read from the raster and replicated: Java's {@code getRGB} would pass them through
 * a linear-to-sRGB conversion and brighten every mid-tone. 16-bit samples are scaled to [0,1]. Everything
 * else (RGB, palette, alpha — which is dropped) goes through {@code getRGB}, which for sRGB data is exact;
 * 3-byte BGR rasters (what JPEG decoders return) are read directly, with the same result, faster.
 */
final class RgbPlanes {
    private RgbPlanes() {}

    static float[][] of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] planes = new float[3][w * h];
        ColorSpace space = image.getColorModel().getColorSpace();
        if (space.getType() == ColorSpace.TYPE_GRAY && image.getColorModel().getNumColorComponents() == 1) {
            Raster raster = image.getRaster();
            float max = (1 << image.getColorModel().getComponentSize(0)) - 1;
            float[] row = new float[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    float v = row[x] / max;
                    planes[0][y * w + x] = v;
                    planes[1][y * w + x] = v;
                    planes[2][y * w + x] = v;
                }
            }
            return planes;
        }
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            // what JPEG decoders return: read the bytes, skipping getRGB's per-pixel colour-model calls
            byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < w * h; i++) {
                planes[0][i] = (bgr[3 * i + 2] & 0xff) / 255f;
                planes[1][i] = (bgr[3 * i + 1] & 0xff) / 255f;
                planes[2][i] = (bgr[3 * i] & 0xff) / 255f;
            }
            return planes;
        }
        return viaGetRgb(image);
    }

    /** The general path: any colour model, through Java's sRGB conversion. */
    static float[][] viaGetRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] planes = new float[3][w * h];
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            planes[0][i] = ((argb[i] >> 16) & 0xff) / 255f;
            planes[1][i] = ((argb[i] >> 8) & 0xff) / 255f;
            planes[2][i] = (argb[i] & 0xff) / 255f;
        }
        return planes;
    }
}
