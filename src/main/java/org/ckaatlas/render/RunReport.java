package org.ckaatlas.render;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.results.ResultReader;
import org.ckaatlas.results.Table;
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
 * Renders one run's report, {@code <out>/report/run_id=<id>/}, from its tables alone (parquet-avro, no
 * Spark): layer x layer heatmaps per scope and model pair, per-class small multiples, mean channel-CKA
 * heatmaps in spectral order, the mean off-diagonal channel CKA by layer, feature-map grids, and an
 * {@code index.html} that works offline (relative links only, no scripts, no fonts from elsewhere).
 */
public final class RunReport {
    private static final int HEATMAP_W = 760;
    private static final int HEATMAP_H = 680;

    private final String out;
    private final String runId;
    private final ResultReader reader;
    private final List<Figure> figures = new ArrayList<>();

    public RunReport(String out, String runId) {
        this.out = out;
        this.runId = runId;
        this.reader = new ResultReader(out, new Configuration());
    }

    /** The report's folder for a local output root. */
    public static Path folder(String out, String runId) {
        return Path.of(out.replaceFirst("^file:(//)?", ""), "report", Table.partition(runId));
    }

    /** The global layer x layer heatmap of model a. */
    public static File heatmapFile(String out, String runId) {
        return folder(out, runId).resolve(heatmapName(Vocabulary.GLOBAL, Vocabulary.MODEL_A, Vocabulary.MODEL_A)).toFile();
    }

    /** A figure of the report: its file, size, section and caption. */
    private record Figure(String section, String file, int width, int height, String caption) {}

    /**
     * @return the index.html written
     * @throws FileNotFoundException when the run has no rows (never ran, or unknown id), or did not succeed
     */
    public Path render() throws IOException {
        if (!reader.exists(Table.RUNS, runId)) {
            throw new FileNotFoundException("no run '" + runId + "' under " + out);
        }
        GenericRecord run = reader.read(Table.RUNS, runId).get(0);
        if (!Vocabulary.SUCCEEDED.equals(run.get("status").toString())) {
            throw new FileNotFoundException("run '" + runId + "' has status " + run.get("status") + ": nothing to render");
        }
        Path dir = Files.createDirectories(folder(out, runId));
        Map<String, List<String>> names = layerNames();
        JsonObject models = JsonParser.parseString(run.get("models").toString()).getAsJsonObject();
        List<GenericRecord> cka = reader.read(Table.LAYER_CKA, runId);
        layerHeatmaps(dir, names, models, cka);
        classMultiples(dir, names, cka);
        channelFigures(dir, names);
        featureGrids(dir, names);
        Path index = dir.resolve("index.html");
        Files.writeString(index, html(run, names, cka), StandardCharsets.UTF_8);
        return index;
    }

    static String heatmapName(String scope, String x, String y) {
        String base = "layer_cka_" + scope.replaceAll("[^A-Za-z0-9._-]", "_");
        if (x.equals(Vocabulary.MODEL_A) && y.equals(Vocabulary.MODEL_A)) {
            return base + ".png";
        }
        return x.equals(y) ? base + "_" + x + ".png" : base + "_" + x + "_vs_" + y + ".png";
    }

    private void layerHeatmaps(Path dir, Map<String, List<String>> names, JsonObject models, List<GenericRecord> cka) throws IOException {
        for (String[] pair : new String[][] {{Vocabulary.MODEL_A, Vocabulary.MODEL_A}, {Vocabulary.MODEL_B, Vocabulary.MODEL_B},
            {Vocabulary.MODEL_A, Vocabulary.MODEL_B}}) {
            if (!names.containsKey(pair[0]) || !names.containsKey(pair[1])) {
                continue;
            }
            String x = pair[0];
            String y = pair[1];
            String specX = models.getAsJsonObject(x).get("spec").getAsString();
            String specY = models.getAsJsonObject(y).get("spec").getAsString();
            GenericRecord any = first(cka, Vocabulary.GLOBAL, x, y);
            String subtitle = String.format(Locale.ROOT, "run %s · scope global · %s · %s images in %s batches", runId,
                    x.equals(y) ? specX : specX + " vs " + specY, any.get("images"), any.get("batches"));
            String title = x.equals(y) ? "Layer x layer CKA of model " + x + " (minibatch, unbiased HSIC)"
                    : "Cross-model CKA: model a (rows) x model b (columns)";
            String file = heatmapName(Vocabulary.GLOBAL, x, y);
            new Heatmap(title, subtitle, names.get(x), names.get(y), matrix(cka, Vocabulary.GLOBAL, x, y, names))
                    .axisLabels("model " + x + " layer", "model " + y + " layer")
                    .writePng(dir.resolve(file).toFile(), HEATMAP_W, HEATMAP_H);
            figures.add(new Figure("Layer x layer CKA", file, HEATMAP_W, HEATMAP_H, x.equals(y)
                    ? "Minibatch linear CKA (Nguyen et al. 2021: unbiased HSIC summed over batches) between every pair of the "
                            + names.get(x).size() + " analysed layers of model " + x + " (" + specX + "), over all images."
                            + " 1 = the two layers' representations agree up to rotation and scale; 0 = unrelated."
                    : "CKA between each layer of model a (" + specX + ", rows) and each layer of model b (" + specY
                            + ", columns), over the same images in the same batches."));
        }
    }

    /** Per-class small multiples of model a's layer x layer CKA, on one colour scale. */
    private void classMultiples(Path dir, Map<String, List<String>> names, List<GenericRecord> cka) throws IOException {
        List<String> scopes = cka.stream().map(r -> r.get("scope").toString()).filter(Vocabulary::isClassScope)
                .distinct().sorted().toList();
        if (scopes.isEmpty()) {
            return;
        }
        int columns = Math.min(4, scopes.size());
        int rows = (scopes.size() + columns - 1) / columns;
        int cell = 360;
        BufferedImage grid = new BufferedImage(columns * cell, rows * cell, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
        for (int i = 0; i < scopes.size(); i++) {
            String scope = scopes.get(i);
            GenericRecord any = first(cka, scope, Vocabulary.MODEL_A, Vocabulary.MODEL_A);
            new Heatmap(Vocabulary.labelOf(scope), any.get("images") + " images, " + any.get("batches")
                    + ((Integer) any.get("batches") == 1 ? " batch" : " batches"),
                    names.get(Vocabulary.MODEL_A), names.get(Vocabulary.MODEL_A),
                    matrix(cka, scope, Vocabulary.MODEL_A, Vocabulary.MODEL_A, names))
                    .withoutValues()
                    .draw(g, new Rectangle2D.Double((i % columns) * cell, (i / columns) * cell, cell, cell));
        }
        g.dispose();
        String file = "layer_cka_classes.png";
        ImageIO.write(grid, "png", dir.resolve(file).toFile());
        figures.add(new Figure("Layer x layer CKA per class", file, grid.getWidth(), grid.getHeight(),
                "Model a's layer x layer CKA within each label (class scope: batches drawn inside one label), on the same"
                        + " colour scale as above. Labels with fewer than 4 images have none (see notes)."));
    }

    /** Mean channel-CKA heatmaps (spectral order) and the mean off-diagonal channel CKA by layer. */
    private void channelFigures(Path dir, Map<String, List<String>> names) throws IOException {
        if (reader.exists(Table.CHANNEL_CKA_MEAN, runId)) {
            List<GenericRecord> means = new ArrayList<>(reader.read(Table.CHANNEL_CKA_MEAN, runId));
            means.sort(Comparator.comparing((GenericRecord r) -> r.get("model").toString()).thenComparingInt(r -> (Integer) r.get("layer")));
            for (GenericRecord r : means) {
                if (!Vocabulary.GLOBAL.equals(r.get("scope").toString())) {
                    continue;
                }
                String model = r.get("model").toString();
                int layer = (Integer) r.get("layer");
                int c = (Integer) r.get("channels");
                @SuppressWarnings("unchecked")
                List<Float> values = (List<Float>) r.get("matrix");
                float[] m = new float[values.size()];
                for (int i = 0; i < m.length; i++) {
                    m[i] = values.get(i);
                }
                int[] order = SpectralOrder.of(m, c);
                String layerName = names.get(model).get(layer);
                String file = "channel_cka_mean_" + model + "_" + layer + ".png";
                new Heatmap("Channel x channel CKA, " + layerName + " (model " + model + ")",
                        String.format(Locale.ROOT, "run %s · mean over %s images · channels in spectral order", runId, r.get("images")),
                        c <= Heatmap.MAX_ANNOTATED ? orderedLabels(order) : null, c <= Heatmap.MAX_ANNOTATED ? orderedLabels(order) : null,
                        SpectralOrder.apply(m, c, order))
                        .axisLabels("channel (position in spectral order)", "channel (position in spectral order)")
                        .writePng(dir.resolve(file).toFile(), 640, 580);
                figures.add(new Figure("Channel x channel CKA (the original analysis, averaged)", file, 640, 580,
                        "Per image, CKA between every pair of the " + c + " channel maps of " + layerName + " (each map's rows as"
                                + " samples, columns as features), averaged entry-wise over the images where the entry is"
                                + " defined; channels reordered by the Fiedler vector of the matrix so that similar channels sit"
                                + " together. Grey: undefined (dead channels)."));
            }
        }
        if (reader.exists(Table.CHANNEL_CKA, runId)) {
            Map<String, List<Double>> byLayer = new TreeMap<>();
            for (GenericRecord r : reader.read(Table.CHANNEL_CKA, runId)) {
                double v = (Double) r.get("mean_offdiag");
                if (!Double.isNaN(v)) {
                    byLayer.computeIfAbsent(r.get("model") + "\u0000" + String.format(Locale.ROOT, "%04d", (Integer) r.get("layer")),
                            k -> new ArrayList<>()).add(v);
                }
            }
            if (!byLayer.isEmpty()) {
                String file = "channel_cka_offdiag.png";
                offDiagonalPlot(byLayer, names).writePng(dir.resolve(file).toFile(), 760, 420);
                figures.add(new Figure("Channel x channel CKA by layer", file, 760, 420,
                        "Mean off-diagonal channel CKA per image (how alike a layer's channels are within one image), by layer:"
                                + " the line is the median over images, the band spans the 10th to 90th percentile."));
            }
        }
    }

    private static List<String> orderedLabels(int[] order) {
        List<String> labels = new ArrayList<>();
        for (int i : order) {
            labels.add("ch " + i);
        }
        return labels;
    }

    private static ChartFile offDiagonalPlot(Map<String, List<Double>> byLayer, Map<String, List<String>> names) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        Map<String, YIntervalSeries> series = new TreeMap<>();
        for (Map.Entry<String, List<Double>> e : byLayer.entrySet()) {
            String[] key = e.getKey().split("\u0000");
            int layer = Integer.parseInt(key[1]);
            List<Double> v = new ArrayList<>(e.getValue());
            v.sort(Double::compare);
            series.computeIfAbsent(key[0], k -> new YIntervalSeries("model " + k))
                    .add(layer, quantile(v, 0.5), quantile(v, 0.1), quantile(v, 0.9));
        }
        series.values().forEach(data::addSeries);
        List<String> layerNames = names.get(Vocabulary.MODEL_A);
        SymbolAxis x = new SymbolAxis("layer", layerNames.toArray(new String[0]));
        NumberAxis y = new NumberAxis("mean off-diagonal channel CKA");
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        renderer.setSeriesFillPaint(0, new Color(0x31688e));
        renderer.setSeriesPaint(0, new Color(0x31688e));
        renderer.setSeriesFillPaint(1, new Color(0x35b779));
        renderer.setSeriesPaint(1, new Color(0x35b779));
        renderer.setAlpha(0.25f);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart("Channel similarity inside each layer", JFreeChart.DEFAULT_TITLE_FONT, plot, series.size() > 1);
        chart.setBackgroundPaint(Color.WHITE);
        return new ChartFile(chart);
    }

    /** A JFreeChart that writes itself as a PNG. */
    private record ChartFile(JFreeChart chart) {
        void writePng(File file, int width, int height) throws IOException {
            ChartUtils.saveChartAsPNG(file, chart, width, height);
        }
    }

    private static double quantile(List<Double> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * (sorted.size() - 1) + 0.5)));
    }

    private void featureGrids(Path dir, Map<String, List<String>> names) throws IOException {
        if (!reader.exists(Table.FEATURE_GRIDS, runId)) {
            return;
        }
        List<GenericRecord> grids = new ArrayList<>(reader.read(Table.FEATURE_GRIDS, runId));
        grids.sort(Comparator.comparing((GenericRecord r) -> r.get("image_id").toString())
                .thenComparing(r -> r.get("model").toString()).thenComparingInt(r -> (Integer) r.get("layer")));
        int k = 0;
        for (GenericRecord r : grids) {
            ByteBuffer png = ((ByteBuffer) r.get("png")).duplicate();
            byte[] bytes = new byte[png.remaining()];
            png.get(bytes);
            String file = String.format(Locale.ROOT, "grid_%03d.png", k++);
            Files.write(dir.resolve(file), bytes);
            BufferedImage image = ImageIO.read(dir.resolve(file).toFile());
            String layer = names.get(r.get("model").toString()).get((Integer) r.get("layer"));
            figures.add(new Figure("Feature-map grids", file, image.getWidth(), image.getHeight(),
                    r.get("image_id") + " (" + r.get("label") + "), model " + r.get("model") + ", " + layer + ": every channel's map,"
                            + " " + r.get("columns") + " per row in channel order, each scaled to its own range (viridis)."));
        }
    }

    /** Layer names by model label, in layer order. */
    private Map<String, List<String>> layerNames() throws IOException {
        List<GenericRecord> layers = new ArrayList<>(reader.read(Table.LAYERS, runId));
        layers.sort(Comparator.comparingInt(r -> (Integer) r.get("layer")));
        Map<String, List<String>> names = new TreeMap<>();
        for (GenericRecord r : layers) {
            names.computeIfAbsent(r.get("model").toString(), k -> new ArrayList<>()).add(r.get("name").toString());
        }
        return names;
    }

    private static GenericRecord first(List<GenericRecord> cka, String scope, String x, String y) {
        return cka.stream().filter(r -> scope.equals(r.get("scope").toString()) && x.equals(r.get("model_x").toString())
                && y.equals(r.get("model_y").toString())).findFirst().orElseThrow();
    }

    private static double[][] matrix(List<GenericRecord> cka, String scope, String x, String y, Map<String, List<String>> names) {
        double[][] m = new double[names.get(x).size()][names.get(y).size()];
        for (GenericRecord r : cka) {
            if (scope.equals(r.get("scope").toString()) && Vocabulary.UNBIASED.equals(r.get("estimator").toString())
                    && x.equals(r.get("model_x").toString()) && y.equals(r.get("model_y").toString())) {
                m[(Integer) r.get("layer_x")][(Integer) r.get("layer_y")] = (Double) r.get("cka");
            }
        }
        return m;
    }

    private String html(GenericRecord run, Map<String, List<String>> names, List<GenericRecord> cka) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>cka-atlas run ").append(esc(runId)).append("</title>")
                .append("<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}")
                .append("code{background:#f4f4f4;word-break:break-all}figure{margin:1em 0}figcaption{color:#555;max-width:760px}")
                .append("img{max-width:100%;height:auto}</style></head><body>\n");
        h.append("<h1>cka-atlas run <code>").append(esc(runId)).append("</code></h1>\n<table>\n");
        row(h, "status", run.get("status"));
        row(h, "started", Instant.ofEpochMilli((Long) run.get("started_at")));
        row(h, "finished", run.get("finished_at") == null ? "" : Instant.ofEpochMilli((Long) run.get("finished_at")));
        row(h, "images", run.get("images_ok") + " decoded, " + run.get("images_failed") + " failed");
        row(h, "batches", run.get("batches") + " used, " + run.get("batches_skipped") + " skipped (fewer than 4 images)");
        row(h, "models", run.get("models"));
        row(h, "configuration", run.get("config"));
        row(h, "seconds per stage", run.get("stages"));
        row(h, "versions", run.get("versions"));
        if (run.get("notes") != null) {
            row(h, "notes", run.get("notes"));
        }
        h.append("</table>\n");
        String section = null;
        for (Figure f : figures) {
            if (!f.section().equals(section)) {
                section = f.section();
                h.append("<h2>").append(esc(section)).append("</h2>\n");
            }
            h.append("<figure><img src=\"").append(esc(f.file())).append("\" width=\"").append(f.width()).append("\" height=\"")
                    .append(f.height()).append("\" alt=\"").append(esc(f.file())).append("\"><figcaption>").append(esc(f.caption()))
                    .append("</figcaption></figure>\n");
        }
        h.append(intervals(names, cka));
        h.append(failures());
        h.append("</body></html>\n");
        return h.toString();
    }

    private String intervals(Map<String, List<String>> names, List<GenericRecord> cka) {
        StringBuilder h = new StringBuilder("<h2>95% bootstrap intervals over batches (global, unbiased)</h2>\n<table><tr><th>layer x</th>"
                + "<th>layer y</th><th>CKA</th><th>interval</th></tr>\n");
        List<GenericRecord> rows = new ArrayList<>();
        for (GenericRecord r : cka) {
            String mx = r.get("model_x").toString();
            String my = r.get("model_y").toString();
            int x = (Integer) r.get("layer_x");
            int y = (Integer) r.get("layer_y");
            boolean upper = mx.equals(my) ? x < y : mx.compareTo(my) < 0;
            if (upper && Vocabulary.UNBIASED.equals(r.get("estimator").toString()) && Vocabulary.GLOBAL.equals(r.get("scope").toString())) {
                rows.add(r);
            }
        }
        rows.sort(Comparator.comparing((GenericRecord r) -> r.get("model_x").toString() + r.get("model_y"))
                .thenComparingInt(r -> (Integer) r.get("layer_x")).thenComparingInt(r -> (Integer) r.get("layer_y")));
        boolean twoModels = names.size() > 1;
        for (GenericRecord r : rows) {
            String mx = r.get("model_x").toString();
            String my = r.get("model_y").toString();
            Object low = r.get("ci_low");
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%.4f</td><td>%s</td></tr>%n",
                    esc((twoModels ? mx + ":" : "") + names.get(mx).get((Integer) r.get("layer_x"))),
                    esc((twoModels ? my + ":" : "") + names.get(my).get((Integer) r.get("layer_y"))), (Double) r.get("cka"),
                    low == null ? "none (fewer than 2 batches, or --bootstrap 0)"
                            : String.format(Locale.ROOT, "[%.4f, %.4f]", (Double) low, (Double) r.get("ci_high"))));
        }
        return h.append("</table>\n").toString();
    }

    private String failures() throws IOException {
        StringBuilder h = new StringBuilder("<h2>Images that failed</h2>\n");
        List<GenericRecord> failed = new ArrayList<>();
        for (GenericRecord r : reader.read(Table.IMAGES, runId)) {
            if (!"ok".equals(r.get("status").toString())) {
                failed.add(r);
            }
        }
        if (failed.isEmpty()) {
            return h.append("<p>None.</p>\n").toString();
        }
        h.append("<table><tr><th>image</th><th>status</th><th>reason</th></tr>\n");
        for (GenericRecord r : failed) {
            h.append("<tr><td>").append(esc(r.get("image_id"))).append("</td><td>").append(esc(r.get("status")))
                    .append("</td><td>").append(esc(r.get("error"))).append("</td></tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    private static void row(StringBuilder h, String key, Object value) {
        h.append("<tr><th>").append(esc(key)).append("</th><td><code>").append(esc(value)).append("</code></td></tr>\n");
    }

    static String esc(Object value) {
        return String.valueOf(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
