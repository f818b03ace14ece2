package org.ckaatlas.render;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * The original analysis's feature-map grid: every channel map of one layer for one image, tiled left to
 * right, top to bottom by channel number (8 columns up to 128 channels, 16 beyond, as it drew them).
 * Unlike the original, each map is scaled to its own min..max (viridis), so a weak channel's structure
 * shows instead of vanishing next to the strongest; a constant map is drawn in the scale's middle.
 * Tiles are resampled (nearest) to fit a grid at most ~1024 px wide, never under 32 px a side.
 */
public final class FeatureGrid {
    private static final int MAX_WIDTH = 1024;
    /** Pixels between tiles (GridFigures numbers the tiles of this layout). */
    static final int GAP = 1;

    private FeatureGrid() {}

    public static int columns(int channels) {
        return channels <= 128 ? 8 : 16;
    }

    /**
     * @param maps C x h x w floats, channel-major (one image's layer output)
     * @return PNG bytes
     */
    public static byte[] png(float[] maps, int offset, int channels, int h, int w) {
        int columns = columns(channels);
        int rows = (channels + columns - 1) / columns;
        int tile = Math.max(32, Math.min(Math.max(h, w), MAX_WIDTH / columns));
        BufferedImage grid = new BufferedImage(columns * (tile + GAP), rows * (tile + GAP), BufferedImage.TYPE_INT_RGB);
        Viridis viridis = new Viridis(0, 1);
        for (int c = 0; c < channels; c++) {
            int base = offset + c * h * w;
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < h * w; i++) {
                min = Math.min(min, maps[base + i]);
                max = Math.max(max, maps[base + i]);
            }
            float range = max - min;
            int x0 = (c % columns) * (tile + GAP);
            int y0 = (c / columns) * (tile + GAP);
            for (int ty = 0; ty < tile; ty++) {
                int sy = ty * h / tile;
                for (int tx = 0; tx < tile; tx++) {
                    int sx = tx * w / tile;
                    float v = maps[base + sy * w + sx];
                    double t = range > 0 ? (v - min) / range : 0.5;
                    grid.setRGB(x0 + tx, y0 + ty, viridis.colour(t).getRGB());
                }
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(grid, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png.toByteArray();
    }
}
