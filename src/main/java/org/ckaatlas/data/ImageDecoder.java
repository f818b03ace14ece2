package org.ckaatlas.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes by content, not by file name. ImageIO plus the TwelveMonkeys JPEG plug-in
 * (found through its service file) covers baseline, progressive, greyscale, CMYK and YCCK JPEG, PNG,
 * BMP and GIF.
 *
 * <p>A file fails, with a reason a person can read, when it is empty, not an image, corrupt, or
 * truncated: ImageIO's JPEG decoder only warns about a premature end of data and returns the image
 * with the missing part filled grey, so its warnings are listened for.
 *
 * <p>Two limits are checked from the header, before any pixel is decoded, so one small file cannot
 * exhaust an executor: {@link #MAX_PIXELS}, and the bytes the decoded raster will take, which the pixel
 * count does not bound (a 16-bit RGBA pixel is 8 bytes, an 8-bit grey one 1), against a budget per image
 * ({@link #DEFAULT_BUDGET_BYTES}, system property {@value #BUDGET_PROPERTY}). Each task slot decodes one
 * image at a time, so an executor needs about the budget times its task slots for decoding.
 */
public final class ImageDecoder {
    /** 100 megapixels: far above any photo data set, below what a 4 GB executor can hold decoded. */
    public static final long MAX_PIXELS = 100_000_000L;
    /**
     * 512 MiB per image: a 100 MP 8-bit RGB photo (300 MB) fits, a 9500x9500 16-bit RGBA one (722 MB) does
     * not; with the float planes made from it (12 bytes a pixel) one image stays under ~2 GB.
     */
    public static final long DEFAULT_BUDGET_BYTES = 512L << 20;
    /** Sets the per-image budget in bytes, e.g. on executors with spark.executor.extraJavaOptions. */
    public static final String BUDGET_PROPERTY = "ckaatlas.decodeBudgetBytes";
    private static volatile long budgetBytes = Long.getLong(BUDGET_PROPERTY, DEFAULT_BUDGET_BYTES);

    private ImageDecoder() {}

    /** Sets the per-image decode budget for this JVM (tests lower it); returns the previous one. */
    public static long setBudgetBytes(long bytes) {
        long previous = budgetBytes;
        budgetBytes = bytes;
        return previous;
    }

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
                BufferedImage image = read(reader, checkBudget(reader));
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

    /**
     * The decode; the heap running out on it (a budget above what this JVM holds) is this image's failure.
     * Readers wrap the OutOfMemoryError (PNG's in an IIOException); its arrays are garbage by now.
     */
    private static BufferedImage read(ImageReader reader, long rasterBytes) throws IOException {
        try {
            return reader.read(0);
        } catch (IOException | OutOfMemoryError e) {
            Throwable cause = e;
            while (cause != null && !(cause instanceof OutOfMemoryError)) {
                cause = cause.getCause();
            }
            if (cause == null) {
                throw e;
            }
            String raster = rasterBytes < 0 ? "" : " " + describe(firstType(reader)) + " (" + mib(rasterBytes) + " MiB)";
            throw new IOException("out of memory decoding " + reader.getWidth(0) + "x" + reader.getHeight(0) + raster + ": lower " + BUDGET_PROPERTY
                    + " (now " + mib(budgetBytes) + " MiB) or give executors more memory");
        }
    }

    private static ImageTypeSpecifier firstType(ImageReader reader) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        return types != null && types.hasNext() ? types.next() : reader.getRawImageType(0);
    }

    /**
     * Refuses an image whose decoded raster would exceed the budget. The raster's layout is the one the
     * reader will decode into (its first image type, what {@code read} uses), known from the header.
     *
     * @return the raster's bytes, or -1 when the reader cannot tell before decoding
     */
    private static long checkBudget(ImageReader reader) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        ImageTypeSpecifier type = firstType(reader);
        if (type == null) {
            return -1; // the reader cannot say before decoding; the pixel limit still holds
        }
        long bytes = rasterBytes(type, width, height);
        if (bytes > budgetBytes) {
            throw new IOException(width + "x" + height + " " + describe(type) + " needs " + mib(bytes)
                    + " MiB to decode, above the " + mib(budgetBytes) + " MiB budget per image");
        }
        return bytes;
    }

    /** Bytes of a width x height raster of this type: one row's sample model (no pixels allocated), times height. */
    static long rasterBytes(ImageTypeSpecifier type, int width, int height) {
        SampleModel row = type.getSampleModel(width, 1);
        long elementBytes = DataBuffer.getDataTypeSize(row.getDataType()) / 8;
        long elementsPerRow = row instanceof MultiPixelPackedSampleModel packed
                ? packed.getScanlineStride() // 1, 2 or 4-bit pixels share elements
                : (long) row.getNumDataElements() * width;
        return elementsPerRow * elementBytes * height;
    }

    /** "16-bit RGBA", "8-bit grey", "8-bit palette": what the raster holds, for the failure reason. */
    private static String describe(ImageTypeSpecifier type) {
        ColorModel cm = type.getColorModel();
        String kind;
        if (cm instanceof IndexColorModel) {
            kind = "palette";
        } else {
            kind = switch (cm.getColorSpace().getType()) {
                case ColorSpace.TYPE_RGB -> "RGB";
                case ColorSpace.TYPE_GRAY -> "grey";
                case ColorSpace.TYPE_CMYK -> "CMYK";
                default -> cm.getNumColorComponents() + "-channel";
            };
            kind += cm.hasAlpha() ? (kind.equals("RGB") ? "A" : "+alpha") : "";
        }
        return type.getSampleModel(1, 1).getSampleSize(0) + "-bit " + kind;
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private static boolean isTruncation(String warning) {
        String w = warning.toLowerCase(java.util.Locale.ROOT);
        return w.contains("premature end") || w.contains("truncat") || w.contains("unexpected end");
    }
}
