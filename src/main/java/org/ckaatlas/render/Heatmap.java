package org.ckaatlas.render;

import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYDataImageAnnotation;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * A labelled matrix heatmap: row names down the left (first row at the top), column names along the
 * bottom, a colour bar with its scale, and each cell's value printed when the matrix is at most 16 x 16.
 */
public final class Heatmap {
    static final int MAX_ANNOTATED = 16;

    private final String title;
    private final String subtitle;
    private final List<String> rows;
    private final List<String> columns;
    private final double[][] values;
    private String rowAxis = "";
    private String columnAxis = "";
    private boolean printValues = true;
    private CkaScale scale;
    private boolean[][] marks;

    /**
     * @param rows row labels, or null for a numbered axis (large matrices: channels)
     * @param values values[row][column]; NaN cells are drawn grey and printed as "n/a"
     */
    public Heatmap(String title, String subtitle, List<String> rows, List<String> columns, double[][] values) {
        this.title = title;
        this.subtitle = subtitle;
        this.rows = rows;
        this.columns = columns;
        this.values = values;
    }

    public Heatmap axisLabels(String rowAxis, String columnAxis) {
        this.rowAxis = rowAxis;
        this.columnAxis = columnAxis;
        return this;
    }

    /** No numbers in the cells (small multiples: the cells are too small to read them). */
    public Heatmap withoutValues() {
        this.printValues = false;
        return this;
    }

    /** A ring in the top-right corner of the marked cells (e.g. not distinguishable from chance). */
    public Heatmap withMarks(boolean[][] marked) {
        this.marks = marked;
        return this;
    }

    /** Shares a colour scale with other heatmaps (small multiples: one colour, one value). */
    public Heatmap withScale(CkaScale shared) {
        this.scale = shared;
        return this;
    }

    /** The colour scale: the shared one, else [min(0, smallest value), 1], CKA's natural range. */
    CkaScale scale() {
        return scale != null ? scale : CkaScale.covering(values);
    }

    /**
     * The matrix by block means, at most {@code cells} a side: a 512 x 512 matrix drawn in ~500 pixels
     * would alias (moire), its block means do not. A block's NaN entries are left out of its mean.
     */
    static double[][] blockMeans(double[][] m, int cells) {
        int rows = m.length;
        int cols = rows == 0 ? 0 : m[0].length;
        int block = Math.max(1, (Math.max(rows, cols) + cells - 1) / cells);
        if (block == 1) {
            return m;
        }
        double[][] out = new double[(rows + block - 1) / block][(cols + block - 1) / block];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < out[0].length; c++) {
                double sum = 0;
                int n = 0;
                for (int i = r * block; i < Math.min(rows, (r + 1) * block); i++) {
                    for (int j = c * block; j < Math.min(cols, (c + 1) * block); j++) {
                        if (!Double.isNaN(m[i][j])) {
                            sum += m[i][j];
                            n++;
                        }
                    }
                }
                out[r][c] = n == 0 ? Double.NaN : sum / n;
            }
        }
        return out;
    }

    public void writePng(File file, int width, int height) throws IOException {
        ChartUtils.saveChartAsPNG(file, chart(), width, height);
    }

    private int rowCount() {
        return values.length;
    }

    private int columnCount() {
        return values.length == 0 ? 0 : values[0].length;
    }

    /** Above this many cells the matrix is drawn as one image, not a block per cell (262k blocks take seconds). */
    static final int MAX_BLOCKS = 64 * 64;

    JFreeChart chart() {
        boolean asImage = (long) rowCount() * columnCount() > MAX_BLOCKS;
        DefaultXYZDataset data = new DefaultXYZDataset();
        int n = asImage ? 0 : rowCount() * columnCount();
        double[] xs = new double[n];
        double[] ys = new double[n];
        double[] zs = new double[n];
        int k = 0;
        for (int r = 0; r < rowCount() && !asImage; r++) {
            for (int c = 0; c < columnCount(); c++, k++) {
                xs[k] = c;
                ys[k] = r;
                zs[k] = values[r][c];
            }
        }
        data.addSeries("values", new double[][] {xs, ys, zs});

        CkaScale scale = scale();
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        renderer.setDefaultToolTipGenerator(null);

        ValueAxis x = axis(columnAxis, columns);
        ValueAxis y = axis(rowAxis, rows);
        if (x instanceof SymbolAxis sx) {
            sx.setVerticalTickLabels(columns.size() > 8 || !printValues);
        }
        y.setInverted(true); // first row at the top, as a matrix is read
        x.setRange(-0.5, columnCount() - 0.5);
        y.setRange(-0.5, rowCount() - 0.5);

        XYPlot plot = new XYPlot(data, x, y, renderer);
        if (asImage) {
            // one pixel per cell, scaled into the plot: row 0 at the top (the range axis is inverted)
            BufferedImage image = new BufferedImage(columnCount(), rowCount(), BufferedImage.TYPE_INT_RGB);
            for (int r = 0; r < rowCount(); r++) {
                for (int c = 0; c < columnCount(); c++) {
                    image.setRGB(c, r, scale.colour(values[r][c]).getRGB());
                }
            }
            plot.addAnnotation(new XYDataImageAnnotation(image, -0.5, -0.5, columnCount(), rowCount(), true));
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setOutlineVisible(false);
        if (printValues && rowCount() <= MAX_ANNOTATED && columnCount() <= MAX_ANNOTATED) {
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, rowCount() > 10 ? 10 : 12);
            for (int r = 0; r < rowCount(); r++) {
                for (int c = 0; c < columnCount(); c++) {
                    double v = values[r][c];
                    XYTextAnnotation label = new XYTextAnnotation(
                            Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v), c, r);
                    label.setFont(font);
                    label.setPaint(luminance(scale.colour(v)) > 0.5 ? Color.BLACK : Color.WHITE);
                    plot.addAnnotation(label);
                }
            }
        }

        if (marks != null) {
            for (int r = 0; r < Math.min(rowCount(), marks.length); r++) {
                for (int c = 0; c < Math.min(columnCount(), marks[r].length); c++) {
                    if (marks[r][c]) {
                        XYTextAnnotation ring = new XYTextAnnotation("\u25cb", c + 0.32, r - 0.3);
                        ring.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
                        ring.setPaint(luminance(scale.colour(values[r][c])) > 0.5 ? Color.BLACK : Color.WHITE);
                        plot.addAnnotation(ring);
                    }
                }
            }
        }
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        NumberAxis barAxis = new NumberAxis("CKA");
        barAxis.setRange(scale.getLowerBound(), scale.getUpperBound());
        PaintScaleLegend bar = new PaintScaleLegend(scale, barAxis);
        bar.setPosition(RectangleEdge.RIGHT);
        bar.setAxisLocation(AxisLocation.TOP_OR_RIGHT);
        bar.setMargin(new RectangleInsets(10, 10, 10, 10));
        bar.setStripWidth(14);
        bar.setSubdivisionCount(256);
        chart.addSubtitle(bar);
        return chart;
    }

    private static ValueAxis axis(String label, List<String> names) {
        if (names == null) {
            NumberAxis numbered = new NumberAxis(label);
            numbered.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            return numbered;
        }
        SymbolAxis symbols = new SymbolAxis(label, names.toArray(new String[0]));
        symbols.setGridBandsVisible(false);
        return symbols;
    }

    /** Draws this heatmap into one cell of a larger image (small multiples). */
    void draw(java.awt.Graphics2D g, java.awt.geom.Rectangle2D area) {
        chart().draw(g, area);
    }

    private static double luminance(Color c) {
        return (0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue()) / 255;
    }
}
