package org.ckaatlas.render;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
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
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.results.ResultReader;
import org.ckaatlas.results.Table;

/**
 * Renders one run's report, {@code <out>/report/run_id=<id>/}: the layer x layer CKA heatmap and an
 * {@code index.html} that works offline (relative links only). Everything comes from the run's tables.
 */
public final class RunReport {
    private final String out;
    private final String runId;
    private final ResultReader reader;

    public RunReport(String out, String runId) {
        this.out = out;
        this.runId = runId;
        this.reader = new ResultReader(out, new Configuration());
    }

    /** The report's folder for a local output root. */
    public static Path folder(String out, String runId) {
        return Path.of(out.replaceFirst("^file:", ""), "report", Table.partition(runId));
    }

    /**
     * @return the index.html written
     * @throws FileNotFoundException when the run has no rows (never ran, or unknown id)
     */
    public Path render() throws IOException {
        if (!reader.exists(Table.RUNS, runId)) {
            throw new FileNotFoundException("no run '" + runId + "' under " + out);
        }
        GenericRecord run = reader.read(Table.RUNS, runId).get(0);
        if (!"succeeded".equals(run.get("status").toString())) {
            throw new FileNotFoundException("run '" + runId + "' has status " + run.get("status") + ": nothing to render");
        }
        Map<String, List<String>> names = layerNames();
        GenericRecord anyCka = reader.read(Table.LAYER_CKA, runId).get(0);
        JsonObject models = JsonParser.parseString(run.get("models").toString()).getAsJsonObject();
        Path dir = Files.createDirectories(folder(out, runId));
        List<Figure> figures = new ArrayList<>();
        for (String[] pair : new String[][] {{"a", "a"}, {"b", "b"}, {"a", "b"}}) {
            if (!names.containsKey(pair[0]) || !names.containsKey(pair[1])) {
                continue;
            }
            String x = pair[0];
            String y = pair[1];
            String file = heatmapName(x, y);
            String specX = models.getAsJsonObject(x).get("spec").getAsString();
            String specY = models.getAsJsonObject(y).get("spec").getAsString();
            String subtitle = String.format(Locale.ROOT, "run %s · scope global · %s · %s images in %s batches", runId,
                    x.equals(y) ? specX : specX + " vs " + specY, anyCka.get("images"), anyCka.get("batches"));
            String title = x.equals(y) ? "Layer x layer CKA of model " + x + " (minibatch, unbiased HSIC)"
                    : "Cross-model CKA: model a (rows) x model b (columns)";
            new Heatmap(title, subtitle, names.get(x), names.get(y), ckaMatrix(x, y, names))
                    .axisLabels("model " + x + " layer", "model " + y + " layer")
                    .writePng(dir.resolve(file).toFile(), 760, 680);
            figures.add(new Figure(file, x.equals(y)
                    ? "Minibatch linear CKA (Nguyen et al. 2021, unbiased HSIC summed over batches) between every pair of"
                            + " the " + names.get(x).size() + " analysed layers of model " + x + " (" + specX + ")."
                            + " 1 = the two layers' representations agree up to rotation and scale; 0 = unrelated."
                    : "CKA between each layer of model a (" + specX + ", rows) and each layer of model b (" + specY
                            + ", columns), over the same images in the same batches."));
        }
        Path index = dir.resolve("index.html");
        Files.writeString(index, html(run, names, figures), StandardCharsets.UTF_8);
        return index;
    }

    /** A rendered figure and what its caption says. */
    private record Figure(String file, String caption) {}

    /** The PNG of the (x, y) model pair's global heatmap. */
    static String heatmapName(String x, String y) {
        return x.equals("a") && y.equals("a") ? "layer_cka_global.png"
                : x.equals(y) ? "layer_cka_global_" + x + ".png" : "layer_cka_global_" + x + "_vs_" + y + ".png";
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

    private double[][] ckaMatrix(String x, String y, Map<String, List<String>> names) throws IOException {
        double[][] m = new double[names.get(x).size()][names.get(y).size()];
        for (GenericRecord r : reader.read(Table.LAYER_CKA, runId)) {
            if ("global".equals(r.get("scope").toString()) && "unbiased".equals(r.get("estimator").toString())
                    && x.equals(r.get("model_x").toString()) && y.equals(r.get("model_y").toString())) {
                m[(Integer) r.get("layer_x")][(Integer) r.get("layer_y")] = (Double) r.get("cka");
            }
        }
        return m;
    }

    private String html(GenericRecord run, Map<String, List<String>> names, List<Figure> figures) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>cka-atlas run ").append(esc(runId)).append("</title>")
                .append("<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}")
                .append("code,pre{background:#f4f4f4}figcaption{color:#555;max-width:760px}</style></head><body>\n");
        h.append("<h1>cka-atlas run <code>").append(esc(runId)).append("</code></h1>\n<table>\n");
        row(h, "status", run.get("status"));
        row(h, "started", Instant.ofEpochMilli((Long) run.get("started_at")));
        row(h, "finished", run.get("finished_at") == null ? "" : Instant.ofEpochMilli((Long) run.get("finished_at")));
        row(h, "images", run.get("images_ok") + " decoded, " + run.get("images_failed") + " failed");
        row(h, "batches", run.get("batches") + " used, " + run.get("batches_skipped") + " skipped (fewer than 4 images)");
        row(h, "models", run.get("models"));
        row(h, "configuration", run.get("config"));
        row(h, "versions", run.get("versions"));
        h.append("</table>\n");
        h.append("<h2>Layer x layer CKA</h2>\n");
        for (Figure f : figures) {
            h.append("<figure><img src=\"").append(esc(f.file())).append("\" width=\"760\" height=\"680\" alt=\"")
                    .append(esc(f.file())).append("\"><figcaption>").append(esc(f.caption())).append("</figcaption></figure>\n");
        }
        h.append(intervals(names));
        h.append(failures());
        h.append("</body></html>\n");
        return h.toString();
    }

    private String intervals(Map<String, List<String>> names) throws IOException {
        StringBuilder h = new StringBuilder("<h2>95% bootstrap intervals over batches (unbiased)</h2>\n<table><tr><th>layer x</th>"
                + "<th>layer y</th><th>CKA</th><th>interval</th></tr>\n");
        List<GenericRecord> rows = new ArrayList<>();
        for (GenericRecord r : reader.read(Table.LAYER_CKA, runId)) {
            String mx = r.get("model_x").toString();
            String my = r.get("model_y").toString();
            int x = (Integer) r.get("layer_x");
            int y = (Integer) r.get("layer_y");
            boolean upper = mx.equals(my) ? x < y : mx.compareTo(my) < 0;
            if (upper && "unbiased".equals(r.get("estimator").toString()) && "global".equals(r.get("scope").toString())) {
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
            if ("failed".equals(r.get("status").toString())) {
                failed.add(r);
            }
        }
        if (failed.isEmpty()) {
            return h.append("<p>None.</p>\n").toString();
        }
        h.append("<table><tr><th>image</th><th>reason</th></tr>\n");
        for (GenericRecord r : failed) {
            h.append("<tr><td>").append(esc(r.get("image_id"))).append("</td><td>").append(esc(r.get("error")))
                    .append("</td></tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    private static void row(StringBuilder h, String key, Object value) {
        h.append("<tr><th>").append(esc(key)).append("</th><td><code>").append(esc(value)).append("</code></td></tr>\n");
    }

    static String esc(Object value) {
        return String.valueOf(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** For callers that need the heatmap's file. */
    public static File heatmapFile(String out, String runId) {
        return folder(out, runId).resolve("layer_cka_global.png").toFile();
    }
}
