package org.ckaatlas.render;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.data.ImageDecoder;

/**
 * Feature-map grids as a table: one row per chosen image, its input beside a thumbnail of each layer's
 * grid; a thumbnail links to the full-size grid, with each tile's channel number drawn in its corner.
 * Thumbnails are JPEGs a few KB each, so fifty images of two 8-layer models stay a few MB.
 */
final class GridFigures {
    static final String SECTION = "Feature-map grids";
    static final int THUMB_WIDTH = 96;

    private GridFigures() {}

    /** One image's row: its input thumbnail (or null when the file cannot be read now) and its grids by model. */
    record Row(String imageId, String label, Figure input, Map<String, List<Figure>> grids) {}

    static List<Row> write(ReportData data, Path dir, String dataRoot) throws IOException {
        Map<String, List<ReportData.Grid>> byImage = new LinkedHashMap<>();
        for (ReportData.Grid g : data.grids()) {
            byImage.computeIfAbsent(g.imageId(), k -> new ArrayList<>()).add(g);
        }
        List<Row> rows = new ArrayList<>();
        int k = 0;
        int n = 0;
        for (Map.Entry<String, List<ReportData.Grid>> e : byImage.entrySet()) {
            Figure input = input(dir, dataRoot, e.getKey(), n++);
            Map<String, List<Figure>> grids = new LinkedHashMap<>();
            for (ReportData.Grid g : e.getValue()) {
                String name = String.format(Locale.ROOT, "grid_%03d", k++);
                BufferedImage full = numbered(ImageIO.read(new ByteArrayInputStream(g.png())), g.columns(), g.channels());
                ImageIO.write(full, "png", dir.resolve(name + ".png").toFile());
                BufferedImage thumb = thumbnail(full, THUMB_WIDTH);
                jpeg(thumb, dir.resolve(name + "_thumb.jpg"));
                String layer = data.layerNames().get(g.model()).get(g.layer());
                grids.computeIfAbsent(g.model(), m -> new ArrayList<>()).add(new Figure(SECTION, name + "_thumb.jpg",
                        thumb.getWidth(), thumb.getHeight(), layer, name + ".png"));
            }
            rows.add(new Row(e.getKey(), e.getValue().get(0).label(), input, grids));
        }
        return rows;
    }

    /** The grid with each tile's channel number in its top-left corner (tiles of 24 px and more). */
    static BufferedImage numbered(BufferedImage grid, int columns, int channels) {
        int tile = grid.getWidth() / columns - FeatureGrid.GAP;
        if (tile < 24) {
            return grid;
        }
        BufferedImage out = new BufferedImage(grid.getWidth(), grid.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(grid, 0, 0, null);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(9, Math.min(14, tile / 5))));
        for (int c = 0; c < channels; c++) {
            int x = (c % columns) * (tile + FeatureGrid.GAP) + 2;
            int y = (c / columns) * (tile + FeatureGrid.GAP) + g.getFont().getSize() + 1;
            String label = Integer.toString(c);
            g.setColor(Color.BLACK);
            g.drawString(label, x + 1, y + 1);
            g.setColor(Color.WHITE);
            g.drawString(label, x, y);
        }
        g.dispose();
        return out;
    }

    private static Figure input(Path dir, String dataRoot, String imageId, int n) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(URI.create(dataRoot.replaceAll("/+$", "") + "/" + imageId));
            byte[] bytes;
            try (InputStream in = path.getFileSystem(new Configuration()).open(path)) {
                bytes = in.readAllBytes();
            }
            BufferedImage thumb = thumbnail(ImageDecoder.decode(bytes), THUMB_WIDTH);
            String file = String.format(Locale.ROOT, "input_%03d.jpg", n);
            jpeg(thumb, dir.resolve(file));
            return new Figure(SECTION, file, thumb.getWidth(), thumb.getHeight(), "input " + imageId);
        } catch (IOException | RuntimeException e) {
            return null; // the data set moved since the run: the grids still stand
        }
    }

    /** Scaled to {@code width} by area averaging (no aliasing of fine tiles). */
    static BufferedImage thumbnail(BufferedImage image, int width) {
        int height = Math.max(1, (int) Math.round(image.getHeight() * (double) width / image.getWidth()));
        Image scaled = image.getScaledInstance(width, height, Image.SCALE_AREA_AVERAGING);
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(scaled, 0, 0, null);
        g.dispose();
        return out;
    }

    private static void jpeg(BufferedImage image, Path file) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.85f);
        try (OutputStream out = Files.newOutputStream(file); ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
