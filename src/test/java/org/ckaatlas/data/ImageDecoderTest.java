package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-image decode budget: from the header, by the bytes the raster will take, not by pixel count. */
class ImageDecoderTest {
    private final long budget = ImageDecoder.setBudgetBytes(4L << 20);

    @AfterEach
    void restoreBudget() {
        ImageDecoder.setBudgetBytes(budget);
    }

    @Test
    void aDeepImageOverTheBudgetIsRefusedWithItsSizeWhileSmallerOnesDecode() throws IOException {
        // 1024x1024 16-bit RGBA: 8 MiB decoded, a few KB as a PNG; the 4 MiB budget refuses it
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(rgba16(1024, 1024)));
        assertEquals("1024x1024 16-bit RGBA needs 8 MiB to decode, above the 4 MiB budget per image", e.getMessage());

        // the same pixel count at 3 bytes a pixel fits, as does a smaller deep image
        assertEquals(1024, ImageDecoder.decode(rgb8(1024, 1024)).getWidth());
        BufferedImage small = ImageDecoder.decode(rgba16(512, 512));
        assertEquals(512, small.getWidth());
        assertEquals(16, small.getColorModel().getComponentSize(0));
    }

    @Test
    void theRasterBytesFollowTheLayout() throws IOException {
        assertEquals(8L * 640 * 480, bytesOf(rgba16(640, 480)));
        assertEquals(3L * 640 * 480, bytesOf(rgb8(640, 480)));
        BufferedImage bits = new BufferedImage(640, 480, BufferedImage.TYPE_BYTE_BINARY);
        assertEquals(640 / 8 * 480, ImageDecoder.rasterBytes(new javax.imageio.ImageTypeSpecifier(bits), 640, 480));
    }

    private static long bytesOf(byte[] png) throws IOException {
        try (var in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(png))) {
            var reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            return ImageDecoder.rasterBytes(reader.getImageTypes(0).next(), reader.getWidth(0), reader.getHeight(0));
        }
    }

    private static byte[] rgba16(int width, int height) throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, new int[] {x * 64, y * 64, 30000, 65535});
            }
        }
        return png(new BufferedImage(cm, raster, false, null));
    }

    private static byte[] rgb8(int width, int height) throws IOException {
        return png(new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR));
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
