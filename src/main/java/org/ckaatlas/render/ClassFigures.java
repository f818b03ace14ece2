package org.ckaatlas.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.ckaatlas.results.Vocabulary;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XIntervalSeries;
import org.jfree.data.xy.XIntervalSeriesCollection;

/**
 * Model a's CKA class by class: the first-last layer pair per class with its interval, sorted, against
 * the global value; a class x layer-pair heatmap; and small multiples of each class's layer x layer
 * matrix, all on one colour scale. Classes are ordered by their first-last CKA throughout.
 */
final class ClassFigures {
    static final String SECTION = "Per class";
    private static final int PANEL = 240;
    private static final int COLUMNS = 6;

    private ClassFigures() {}

    /** A layer pair of model a, by index. */
    record Pair(int x, int y) {}

    /** One class's values: its row per pair (null where missing), and its batch count. */
    record ClassRow(String label, String scope, List<ReportData.Cka> cells, int batches, int images) {
        ReportData.Cka firstLast() {
            return cells.get(0);
        }
    }

    /** First-last, then each layer with the next. */
    static List<Pair> pairs(int layers) {
        List<Pair> pairs = new ArrayList<>();
        if (layers >= 2) {
            pairs.add(new Pair(0, layers - 1));
        }
        for (int i = 0; i + 1 < layers; i++) {
            if (!(i == 0 && layers == 2)) {
                pairs.add(new Pair(i, i + 1));
            }
        }
        return pairs;
    }

    /** The classes with a first-last value, highest first; classes without one last. */
    static List<ClassRow> rows(ReportData data, List<Pair> pairs) {
        List<ClassRow> rows = new ArrayList<>();
        for (String scope : data.classScopes()) {
            List<ReportData.Cka> cells = new ArrayList<>();
            for (Pair p : pairs) {
                cells.add(data.cell(scope, p.x(), p.y()));
            }
            ReportData.Cka any = data.rows(scope, Vocabulary.MODEL_A, Vocabulary.MODEL_A).get(0);
            rows.add(new ClassRow(Vocabulary.labelOf(scope), scope, cells, any.batches(), any.images()));
        }
        rows.sort(Comparator.comparingDouble((ClassRow r) -> r.firstLast() == null ? Double.NEGATIVE_INFINITY : r.firstLast().cka())
                .reversed().thenComparing(ClassRow::label));
        return rows;
    }

    static List<Figure> write(ReportData data, Path dir) throws IOException {
        List<String> names = data.layerNames().get(Vocabulary.MODEL_A);
        List<Pair> pairs = pairs(names.size());
        if (data.classScopes().isEmpty() || pairs.isEmpty()) {
            return List.of();
        }
        List<ClassRow> rows = rows(data, pairs);
        List<double[][]> matrices = new ArrayList<>();
        for (ClassRow r : rows) {
            matrices.add(data.matrix(r.scope(), Vocabulary.MODEL_A, Vocabulary.MODEL_A));
        }
        double[][] byPair = new double[rows.size()][pairs.size()];
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < pairs.size(); j++) {
                ReportData.Cka c = rows.get(i).cells().get(j);
                byPair[i][j] = c == null ? Double.NaN : c.cka();
            }
        }
        List<double[][]> all = new ArrayList<>(matrices);
        all.add(byPair);
        CkaScale scale = CkaScale.covering(all.toArray(new double[0][][]));
        String negatives = scale.hasNegatives()
                ? " Red is below 0: unbiased HSIC is unbiased, not non-negative, and with few images per class it scatters"
                        + " around 0 for layers that are unrelated; read such values as about 0."
                : "";
        long single = rows.stream().filter(r -> r.batches() == 1).count();
        String singles = single == 0 ? "" : " " + single + (single == 1 ? " class has" : " classes have")
                + " a single batch: no interval (the bootstrap resamples batches).";
        String pairName = names.get(0) + " - " + names.get(names.size() - 1);

        List<Figure> figures = new ArrayList<>();
        int height = 110 + 16 * rows.size();
        ChartUtils.saveChartAsPNG(dir.resolve("class_summary.png").toFile(), summary(data, rows, pairName), 760, height);
        figures.add(new Figure(SECTION, "class_summary.png", 760, height, "CKA(" + pairName + ") of model a within each class"
                + " (class scope: batches drawn inside one label), with its 95% bootstrap interval, highest first; the dashed"
                + " line is the same pair over all images (global scope)." + singles));

        List<String> pairLabels = pairs.stream().map(p -> names.get(p.x()) + "-" + names.get(p.y())).toList();
        int pairsHeight = Math.max(360, 140 + 14 * rows.size());
        new Heatmap("Per-class CKA of chosen layer pairs (model a)", "rows: classes, by CKA(" + pairName + "); columns: layer pairs",
                rows.stream().map(ClassRow::label).toList(), pairLabels, byPair)
                .withScale(scale)
                .axisLabels("class", "layer pair")
                .writePng(dir.resolve("class_pairs.png").toFile(), 760, pairsHeight);
        figures.add(new Figure(SECTION, "class_pairs.png", 760, pairsHeight, "Each class's CKA for the first-last layer pair"
                + " and each pair of neighbouring layers, on the colour scale of the panels below." + negatives));

        int columns = Math.min(COLUMNS, rows.size());
        int gridRows = (rows.size() + columns - 1) / columns;
        BufferedImage grid = new BufferedImage(columns * PANEL, gridRows * PANEL, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
        for (int i = 0; i < rows.size(); i++) {
            ClassRow r = rows.get(i);
            String subtitle = r.images() + " images, " + (r.batches() == 1 ? "1 batch: no interval" : r.batches() + " batches");
            new Heatmap(r.label(), subtitle, names, names, matrices.get(i))
                    .withScale(scale)
                    .withoutValues()
                    .draw(g, new Rectangle2D.Double((i % columns) * PANEL, (i / columns) * PANEL, PANEL, PANEL));
        }
        g.dispose();
        ImageIO.write(grid, "png", dir.resolve("layer_cka_classes.png").toFile());
        figures.add(new Figure(SECTION, "layer_cka_classes.png", grid.getWidth(), grid.getHeight(),
                "Model a's layer x layer CKA within each class, in the order above, on one colour scale (every panel's bar is the"
                        + " same). Labels with fewer than 4 images have none (see notes)." + negatives));
        return figures;
    }

    /** The dot plot: one row per class, its interval as a bar, the global value as a line. */
    static JFreeChart summary(ReportData data, List<ClassRow> rows, String pairName) {
        XIntervalSeries series = new XIntervalSeries("class");
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            ReportData.Cka c = rows.get(i).firstLast();
            labels.add(rows.get(i).label());
            if (c != null) {
                double low = c.ciLow() == null ? c.cka() : c.ciLow();
                double high = c.ciHigh() == null ? c.cka() : c.ciHigh();
                series.add(c.cka(), low, high, i);
            }
        }
        XIntervalSeriesCollection dataset = new XIntervalSeriesCollection();
        dataset.addSeries(series);
        NumberAxis x = new NumberAxis("CKA(" + pairName + ")");
        double lowest = rows.stream().map(ClassRow::firstLast).filter(c -> c != null)
                .mapToDouble(c -> c.ciLow() == null ? c.cka() : Math.min(c.cka(), c.ciLow())).min().orElse(0);
        x.setRange(Math.min(0, lowest - 0.02), 1.0);
        SymbolAxis y = new SymbolAxis("class", labels.toArray(new String[0]));
        y.setInverted(true);
        y.setGridBandsVisible(false);
        y.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawYError(false);
        renderer.setErrorPaint(new Color(0x31688e));
        renderer.setSeriesPaint(0, new Color(0x31688e));
        XYPlot plot = new XYPlot(dataset, x, y, renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        ReportData.Cka global = data.cell(Vocabulary.GLOBAL, 0, data.layerNames().get(Vocabulary.MODEL_A).size() - 1);
        if (global != null) {
            ValueMarker line = new ValueMarker(global.cka(), new Color(0x444444), new BasicStroke(1.2f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 10, new float[] {5, 4}, 0));
            line.setLabel(String.format(Locale.ROOT, "global %.3f", global.cka()));
            line.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            line.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            plot.addDomainMarker(line);
        }
        JFreeChart chart = new JFreeChart("CKA(" + pairName + ") per class, model a", new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, false);
        chart.addSubtitle(new TextTitle("run " + data.runId() + " · bars: 95% bootstrap interval over the class's batches",
                new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
}
