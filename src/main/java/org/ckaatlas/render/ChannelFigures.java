package org.ckaatlas.render;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.ckaatlas.results.Vocabulary;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The original analysis's channel x channel CKA, averaged over images: one heatmap per layer in spectral
 * order (block means where the matrix has more cells than the figure has pixels for), the order itself
 * as a text file, and the mean off-diagonal channel CKA by layer.
 */
final class ChannelFigures {
    static final String SECTION = "Channel x channel CKA";
    static final String REDUNDANCY = "Channel redundancy";
    /** Cells a side in a drawn matrix: 512 channels become 128 blocks of 4. */
    private static final int MAX_CELLS = 128;

    private ChannelFigures() {}

    static List<Figure> write(ReportData data, Path dir) throws IOException {
        List<Figure> figures = new ArrayList<>();
        for (ReportData.ChannelMeanMatrix m : data.channelMeans()) {
            if (!Vocabulary.GLOBAL.equals(m.scope())) {
                continue;
            }
            int c = m.channels();
            int[] order = SpectralOrder.of(m.matrix(), c);
            double[][] drawn = Heatmap.blockMeans(SpectralOrder.apply(m.matrix(), c, order), MAX_CELLS);
            int block = (c + drawn.length - 1) / drawn.length;
            String layerName = data.layerNames().get(m.model()).get(m.layer());
            String file = "channel_cka_mean_" + m.model() + "_" + m.layer() + ".png";
            String orderFile = "channel_order_" + m.model() + "_" + m.layer() + ".txt";
            Files.writeString(dir.resolve(orderFile), "# channel ids of " + layerName + " (model " + m.model()
                    + ") in the order of the figure's rows and columns\n"
                    + IntStream.of(order).mapToObj(Integer::toString).collect(Collectors.joining("\n")) + "\n", StandardCharsets.UTF_8);
            List<String> labels = c <= Heatmap.MAX_ANNOTATED ? IntStream.of(order).mapToObj(i -> "ch " + i).toList() : null;
            new Heatmap("Channel x channel CKA, " + layerName + " (model " + m.model() + ")",
                    String.format(Locale.ROOT, "run %s · mean over %d images · channels in spectral order%s", data.runId(), m.images(),
                            block > 1 ? " · means of " + block + "x" + block + " blocks" : ""),
                    labels, labels, drawn)
                    .axisLabels(block > 1 ? "block of " + block + " channels (spectral order)" : "channel (spectral order)",
                            block > 1 ? "block of " + block + " channels (spectral order)" : "channel (spectral order)")
                    .writePng(dir.resolve(file).toFile(), 640, 580);
            figures.add(new Figure(SECTION, file, 640, 580, "Per image, CKA between every pair of the " + c + " channel maps of "
                    + layerName + " (each map's rows as samples, columns as features), averaged entry-wise over the images where the"
                    + " entry is defined; channels reordered by the Fiedler vector of the matrix so that similar channels sit together"
                    + (block > 1 ? ", then averaged in " + block + "x" + block + " blocks so that the figure does not alias" : "")
                    + ". Grey: undefined (dead channels). Channel ids in figure order: " + orderFile + "."));
        }
        if (!data.offDiagonalByLayer().isEmpty()) {
            ChartUtils.saveChartAsPNG(dir.resolve("channel_cka_offdiag.png").toFile(), offDiagonalPlot(data), 760, 420);
            figures.add(new Figure(SECTION, "channel_cka_offdiag.png", 760, 420,
                    "Mean off-diagonal channel CKA per image (how alike a layer's channels are within one image), by layer:"
                            + " the line is the median over images, the band spans the 10th to 90th percentile."));
        }
        List<ReportData.ChannelMeanMatrix> spectra = data.channelMeans().stream()
                .filter(m -> Vocabulary.GLOBAL.equals(m.scope()) && m.eigenvalues() != null && m.eigenvalues().length > 0).toList();
        if (!spectra.isEmpty()) {
            ChartUtils.saveChartAsPNG(dir.resolve("channel_spectra.png").toFile(), spectra(spectra, data), 760, 440);
            figures.add(new Figure(REDUNDANCY, "channel_spectra.png", 760, 440, "Eigenvalues of each layer's mean channel CKA"
                    + " matrix (global scope, live channels), largest first, each as a share of their sum (log scale): a spectrum"
                    + " that falls fast means few distinct directions among the channels. The table below gives the effective"
                    + " number of channels (the participation ratio) and the groups of near-duplicates (channel_groups)."));
        }
        return figures;
    }

    private static JFreeChart offDiagonalPlot(ReportData data) {
        YIntervalSeriesCollection dataset = new YIntervalSeriesCollection();
        Map<String, YIntervalSeries> series = new TreeMap<>();
        for (Map.Entry<String, List<Double>> e : data.offDiagonalByLayer().entrySet()) {
            String[] key = e.getKey().split("\u0000");
            List<Double> v = new ArrayList<>(e.getValue());
            v.sort(Double::compare);
            series.computeIfAbsent(key[0], k -> new YIntervalSeries("model " + k))
                    .add(Integer.parseInt(key[1]), quantile(v, 0.5), quantile(v, 0.1), quantile(v, 0.9));
        }
        series.values().forEach(dataset::addSeries);
        SymbolAxis x = new SymbolAxis("layer", data.layerNames().get(Vocabulary.MODEL_A).toArray(new String[0]));
        NumberAxis y = new NumberAxis("mean off-diagonal channel CKA");
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        Color[] colours = {new Color(0x31688e), new Color(0x35b779)};
        for (int i = 0; i < colours.length; i++) {
            renderer.setSeriesFillPaint(i, colours[i]);
            renderer.setSeriesPaint(i, colours[i]);
        }
        renderer.setAlpha(0.25f);
        XYPlot plot = new XYPlot(dataset, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart("Channel similarity inside each layer", JFreeChart.DEFAULT_TITLE_FONT, plot, series.size() > 1);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static JFreeChart spectra(List<ReportData.ChannelMeanMatrix> layers, ReportData data) {
        org.jfree.data.xy.XYSeriesCollection dataset = new org.jfree.data.xy.XYSeriesCollection();
        for (ReportData.ChannelMeanMatrix m : layers) {
            double sum = java.util.Arrays.stream(m.eigenvalues()).filter(v -> v > 0).sum();
            org.jfree.data.xy.XYSeries series = new org.jfree.data.xy.XYSeries(
                    (data.layerNames().size() > 1 ? m.model() + ":" : "") + data.layerNames().get(m.model()).get(m.layer()));
            for (int i = 0; i < Math.min(64, m.eigenvalues().length); i++) {
                double share = m.eigenvalues()[i] / sum;
                if (share > 1e-6) {
                    series.add(i + 1, share);
                }
            }
            dataset.addSeries(series);
        }
        NumberAxis x = new NumberAxis("eigenvalue rank");
        org.jfree.chart.axis.LogAxis y = new org.jfree.chart.axis.LogAxis("share of the sum");
        y.setBase(10);
        y.setSmallestValue(1e-6);
        y.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1)); // one tick a decade: 1, 0.1, 0.01, ...
        y.setNumberFormatOverride(new java.text.DecimalFormat("0.######", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)));
        org.jfree.chart.renderer.xy.XYLineAndShapeRenderer renderer = new org.jfree.chart.renderer.xy.XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < layers.size(); i++) {
            renderer.setSeriesPaint(i, new Viridis(0, 1).colour(layers.size() == 1 ? 0 : i / (double) (layers.size() - 1) * 0.9));
        }
        XYPlot plot = new XYPlot(dataset, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart("Eigen-spectra of the mean channel CKA, by layer", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static double quantile(List<Double> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * (sorted.size() - 1) + 0.5)));
    }
}
