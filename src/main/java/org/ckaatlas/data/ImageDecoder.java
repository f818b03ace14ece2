package org.ckaatlas.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Decodes image bytes by content, not by file name. ImageIO plus the TwelveMonkeys JPEG plug-in
 * (on the classpath, found through its service file) covers baseline, progressive, greyscale and CMYK
 * JPEG, PNG, BMP and GIF.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** @throws IOException with a reason a person can read when the bytes are not a decodable image */
    public static BufferedImage decode(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new IOException("empty file");
        }
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (RuntimeException e) {
            // decoders signal some corrupt streams with unchecked exceptions
            throw new IOException("corrupt image: " + e, e);
        }
        if (image == null) {
            throw new IOException("not an image in a supported format");
        }
        return image;
    }
}
