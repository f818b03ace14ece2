package org.ckaatlas.render;

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
        List<String> names = layerNames();
        double[][] cka = ckaMatrix(names.size());
        GenericRecord anyCka = reader.read(Table.LAYER_CKA, runId).get(0);
        Path dir = Files.createDirectories(folder(out, runId));
        String heatmapFile = "layer_cka_global.png";
        String subtitle = String.format(Locale.ROOT, "run %s · scope global · %s · %s images in %s batches",
                runId, modelSpec(run), anyCka.get("images"), anyCka.get("batches"));
        new Heatmap("Layer x layer CKA (minibatch, unbiased HSIC)", subtitle, names, names, cka)
                .axisLabels("layer", "layer")
                .writePng(dir.resolve(heatmapFile).toFile(), 760, 680);
        Path index = dir.resolve("index.html");
        Files.writeString(index, html(run, names, heatmapFile), StandardCharsets.UTF_8);
        return index;
    }

    private List<String> layerNames() throws IOException {
        List<GenericRecord> layers = new ArrayList<>(reader.read(Table.LAYERS, runId));
        layers.sort(Comparator.comparingInt(r -> (Integer) r.get("layer")));
        List<String> names = new ArrayList<>();
        for (GenericRecord r : layers) {
            names.add(r.get("name").toString());
        }
        return names;
    }

    private double[][] ckaMatrix(int size) throws IOException {
        double[][] m = new double[size][size];
        for (GenericRecord r : reader.read(Table.LAYER_CKA, runId)) {
            if ("global".equals(r.get("scope").toString())) {
                m[(Integer) r.get("layer_x")][(Integer) r.get("layer_y")] = (Double) r.get("cka");
            }
        }
        return m;
    }

    private static String modelSpec(GenericRecord run) {
        return JsonParser.parseString(run.get("models").toString())
                .getAsJsonObject().getAsJsonObject("a").get("spec").getAsString();
    }

    private String html(GenericRecord run, List<String> names, String heatmapFile) throws IOException {
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
        h.append("<h2>Layer x layer CKA</h2>\n<figure><img src=\"").append(heatmapFile)
                .append("\" width=\"760\" height=\"680\" alt=\"layer x layer CKA heatmap\"><figcaption>")
                .append("Minibatch linear CKA (Nguyen et al. 2021, unbiased HSIC summed over batches) between every")
                .append(" pair of the ").append(names.size()).append(" analysed layers over all images. 1 = the two")
                .append(" layers' representations agree up to rotation and scale; 0 = unrelated.</figcaption></figure>\n");
        h.append(intervals(names));
        h.append(failures());
        h.append("</body></html>\n");
        return h.toString();
    }

    private String intervals(List<String> names) throws IOException {
        StringBuilder h = new StringBuilder("<h2>95% bootstrap intervals over batches</h2>\n<table><tr><th>layer x</th>"
                + "<th>layer y</th><th>CKA</th><th>interval</th></tr>\n");
        List<GenericRecord> rows = new ArrayList<>(reader.read(Table.LAYER_CKA, runId));
        rows.sort(Comparator.comparingInt((GenericRecord r) -> (Integer) r.get("layer_x")).thenComparingInt(r -> (Integer) r.get("layer_y")));
        for (GenericRecord r : rows) {
            int x = (Integer) r.get("layer_x");
            int y = (Integer) r.get("layer_y");
            if (x >= y) {
                continue;
            }
            Object low = r.get("ci_low");
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%.4f</td><td>%s</td></tr>%n",
                    esc(names.get(x)), esc(names.get(y)), (Double) r.get("cka"),
                    low == null ? "none (fewer than 2 batches)"
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
