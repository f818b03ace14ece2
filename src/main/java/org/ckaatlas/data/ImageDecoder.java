package org.ckaatlas.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes by content, not by file name. ImageIO plus the TwelveMonkeys JPEG plug-in
 * (found through its service file) covers baseline, progressive, greyscale, CMYK and YCCK JPEG, PNG,
 * BMP and GIF.
 *
 * <p>A file fails, with a reason a person can read, when it is empty, not an image, corrupt, or
 * truncated: ImageIO's JPEG decoder only warns about a premature end of data and returns the image
 * with the missing part filled grey, so its warnings are listened for. An image larger than
 * {@link #MAX_PIXELS} is refused before its pixels are decoded, so one file cannot exhaust an
 * executor's memory (decode-then-resize needs ~16 bytes per pixel).
 */
public final class ImageDecoder {
    /** 100 megapixels: far above any photo data set, below what a 4 GB executor can hold decoded. */
    public static final long MAX_PIXELS = 100_000_000L;

    private ImageDecoder() {}

    /** @throws IOException with the reason when the bytes are not a complete, decodable image */
    public static BufferedImage decode(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new IOException("empty file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException("not an image in a supported format");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            IIOReadWarningListener listener = (source, warning) -> warnings.add(warning);
            reader.addIIOReadWarningListener(listener);
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new IOException("too large to decode: " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " pixels (limit " + MAX_PIXELS / 1_000_000 + " megapixels)");
                }
                BufferedImage image = reader.read(0);
                for (String warning : warnings) {
                    if (isTruncation(warning)) {
                        throw new IOException("truncated image: " + warning);
                    }
                }
                return image;
            } catch (RuntimeException e) {
                // decoders signal some corrupt streams with unchecked exceptions
                throw new IOException("corrupt " + reader.getFormatName() + ": " + e.getMessage(), e);
            } finally {
                reader.dispose();
            }
        }
    }

    private static boolean isTruncation(String warning) {
        String w = warning.toLowerCase(java.util.Locale.ROOT);
        return w.contains("premature end") || w.contains("truncat") || w.contains("unexpected end");
    }
}
