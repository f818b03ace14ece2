package org.ckaatlas.render;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;
import org.ckaatlas.results.Vocabulary;

/**
 * The report's HTML: a contents list, the run as readable tables (configuration, models, stage times,
 * executors; no JSON), the figures by section, the grids as a table of thumbnails, the intervals and
 * the failed images. Offline: relative links, no scripts, images loaded lazily at their stated size.
 */
final class ReportPage {
    /** How the report and the index page show a moment. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final ReportData data;
    private final List<Figure> figures;
    private final List<GridFigures.Row> grids;
    private final StringBuilder h = new StringBuilder();

    ReportPage(ReportData data, List<Figure> figures, List<GridFigures.Row> grids) {
        this.data = data;
        this.figures = figures;
        this.grids = grids;
    }

    String html() {
        GenericRecord run = data.run();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>cka-atlas run ").append(esc(data.runId())).append("</title><style>")
                .append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;")
                .append("vertical-align:top}th{background:#f6f6f6}code{background:#f4f4f4}figure{margin:1em 0}")
                .append("figcaption{color:#555;max-width:760px}img{max-width:100%;height:auto}nav li{margin:.1em 0}")
                .append("td.num{text-align:right;font-variant-numeric:tabular-nums}.grids td{text-align:center;font-size:.85em}")
                .append("details{margin:.4em 0}summary{cursor:pointer;font-weight:bold}")
                .append("</style></head><body>\n");
        h.append("<h1>cka-atlas run <code>").append(esc(data.runId())).append("</code></h1>\n");
        Map<String, String> sections = new LinkedHashMap<>();
        sections.put("run", "The run");
        for (Figure f : figures) {
            sections.putIfAbsent(anchor(f.section()), f.section());
        }
        if (!grids.isEmpty()) {
            sections.put(anchor(GridFigures.SECTION), GridFigures.SECTION);
        }
        sections.put("intervals", "Intervals and stability");
        sections.put("failed", "Images that failed");
        h.append("<nav><ul>");
        sections.forEach((id, title) -> h.append("<li><a href=\"#").append(id).append("\">").append(esc(title)).append("</a></li>"));
        h.append("</ul></nav>\n");

        h.append("<h2 id=\"run\">The run</h2>\n<table>\n");
        row("status", run.get("status"));
        row("started", time(run.get("started_at")));
        row("finished", time(run.get("finished_at")));
        row("images", run.get("images_ok") + " decoded, " + run.get("images_failed") + " failed");
        row("batches", run.get("batches") + " used, " + run.get("batches_skipped") + " skipped (fewer than 4 images)");
        h.append("</table>\n");
        models();
        executors();
        keyValues("Configuration", data.json("config").getAsJsonObject());
        stages();
        JsonObject versions = data.json("versions").getAsJsonObject().deepCopy();
        versions.remove("executors");
        keyValues("Software", versions);
        if (data.json("notes") != null) {
            h.append("<h3>Notes</h3>\n<ul>");
            for (JsonElement note : data.json("notes").getAsJsonArray()) {
                h.append("<li>").append(esc(text(note))).append("</li>");
            }
            h.append("</ul>\n");
        }

        String section = null;
        for (Figure f : figures) {
            if (!f.section().equals(section)) {
                section = f.section();
                h.append("<h2 id=\"").append(anchor(section)).append("\">").append(esc(section)).append("</h2>\n");
            }
            h.append("<figure>").append(img(f)).append("<figcaption>").append(esc(f.caption())).append("</figcaption></figure>\n");
            if (f.file().equals("channel_spectra.png")) {
                redundancy();
            }
        }
        gridTable();
        intervals();
        failures();
        h.append("</body></html>\n");
        return h.toString();
    }

    /** Per layer of the global scope: channels, dead, effective channels, near-duplicate groups. */
    private void redundancy() {
        h.append("<table><tr><th>layer</th><th>channels</th><th>dead</th><th>effective channels</th>")
                .append("<th>groups of near-duplicates</th><th>their sizes</th></tr>\n");
        for (ReportData.ChannelMeanMatrix m : data.channelMeans()) {
            if (!Vocabulary.GLOBAL.equals(m.scope()) || m.effectiveChannels() == null) {
                continue;
            }
            String sizes = m.groupSizes().stream().limit(12).map(String::valueOf).collect(Collectors.joining(", "))
                    + (m.groupSizes().size() > 12 ? ", ..." : "");
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td>"
                    + "<td class=\"num\">%.1f</td><td class=\"num\">%d</td><td>%s</td></tr>%n",
                    esc((data.layerNames().size() > 1 ? m.model() + ":" : "") + data.layerNames().get(m.model()).get(m.layer())),
                    m.channels(), m.dead(), m.effectiveChannels(), m.groupSizes().size(), esc(sizes)));
        }
        h.append("</table>\n");
    }

    private void models() {
        h.append("<h3>Models</h3>\n<table><tr><th>model</th><th>spec</th><th>taps</th><th>input</th><th>layers</th></tr>\n");
        for (Map.Entry<String, JsonElement> e : data.json("models").getAsJsonObject().entrySet()) {
            JsonObject m = e.getValue().getAsJsonObject();
            h.append("<tr><td>").append(esc(e.getKey())).append("</td><td><code>").append(esc(text(m.get("spec"))))
                    .append("</code></td><td>").append(esc(text(m.get("tap")))).append("</td><td>")
                    .append(esc(text(m.get("input_size")))).append("</td><td>").append(esc(text(m.get("layers"))))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    /** Driver stages in seconds, then the executors' task-seconds by stage. */
    private void stages() {
        JsonObject stages = data.json("stages").getAsJsonObject();
        h.append("<details><summary>Stage times</summary>\n<table><tr><th>stage</th><th>seconds</th></tr>\n");
        for (Map.Entry<String, JsonElement> e : stages.entrySet()) {
            if (e.getValue().isJsonPrimitive()) {
                h.append("<tr><td>").append(esc(e.getKey())).append(" (driver, wall)</td><td class=\"num\">")
                        .append(esc(text(e.getValue()))).append("</td></tr>\n");
            } else if (e.getKey().startsWith("executors")) {
                for (Map.Entry<String, JsonElement> s : e.getValue().getAsJsonObject().entrySet()) {
                    h.append("<tr><td>").append(esc(s.getKey())).append(" (executors, task-seconds)</td><td class=\"num\">")
                            .append(esc(text(s.getValue()))).append("</td></tr>\n");
                }
            }
        }
        h.append("</table></details>\n");
    }

    /** Per executor JVM: device, engine, models built, and its decode wait and rate. */
    private void executors() {
        JsonObject versions = data.json("versions").getAsJsonObject();
        JsonObject stages = data.json("stages").getAsJsonObject();
        JsonObject facts = versions.has("executors") ? versions.getAsJsonObject("executors") : new JsonObject();
        JsonObject timing = stages.has("per executor") ? stages.getAsJsonObject("per executor") : new JsonObject();
        h.append("<h3>Executors</h3>\n<table><tr><th>executor/pid</th><th>device</th><th>engine</th><th>models built</th>")
                .append("<th>batches</th><th>image passes</th><th>decode wait (s)</th><th>images/s per task</th></tr>\n");
        for (Map.Entry<String, JsonElement> e : facts.entrySet()) {
            JsonObject x = e.getValue().getAsJsonObject();
            JsonObject t = timing.has(e.getKey()) ? timing.getAsJsonObject(e.getKey()) : new JsonObject();
            String device = text(x.get("device")) + (x.has("device_note") ? " (" + text(x.get("device_note")) + ")" : "");
            h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(device)).append("</td><td>")
                    .append(esc(text(x.get("engine")))).append("</td><td class=\"num\">").append(esc(text(x.get("model_loads"))))
                    .append("</td><td class=\"num\">").append(esc(text(x.get("batches")))).append("</td><td class=\"num\">")
                    .append(esc(text(t.get("images")))).append("</td><td class=\"num\">").append(esc(text(t.get("decode wait"))))
                    .append("</td><td class=\"num\">").append(esc(text(t.get("images/s per task")))).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    /** A folded table: one line until opened (a details element; no script). */
    private void keyValues(String title, JsonObject values) {
        h.append("<details><summary>").append(esc(title)).append(" (").append(values.size()).append(")</summary>\n<table>\n");
        for (Map.Entry<String, JsonElement> e : values.entrySet()) {
            row(e.getKey(), text(e.getValue()));
        }
        h.append("</table></details>\n");
    }

    /** One table per model: a row per image, its input, then a thumbnail per layer. */
    private void gridTable() {
        if (grids.isEmpty()) {
            return;
        }
        h.append("<h2 id=\"").append(anchor(GridFigures.SECTION)).append("\">").append(esc(GridFigures.SECTION)).append("</h2>\n")
                .append("<p>Every channel's map of each layer, for the chosen images; each map scaled to its own range (viridis),")
                .append(" channels left to right, top to bottom by number. A thumbnail opens the full-size grid, with channel")
                .append(" numbers.</p>\n");
        for (String model : grids.get(0).grids().keySet()) {
            h.append("<h3>Model ").append(esc(model)).append("</h3>\n<table class=\"grids\"><tr><th>image</th><th>input</th>");
            for (Figure f : grids.get(0).grids().get(model)) {
                h.append("<th>").append(esc(f.caption())).append("</th>");
            }
            h.append("</tr>\n");
            for (GridFigures.Row r : grids) {
                String name = r.imageId().substring(r.imageId().lastIndexOf('/') + 1);
                h.append("<tr><td>").append(esc(name)).append("<br>(").append(esc(r.label())).append(")</td><td>")
                        .append(r.input() == null ? "not readable now" : img(r.input())).append("</td>");
                for (Figure f : r.grids().getOrDefault(model, List.of())) {
                    h.append("<td>").append(img(f)).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
    }

    private void intervals() {
        h.append("<h2 id=\"intervals\">95% bootstrap intervals over batches (global, unbiased), and stability</h2>\n")
                .append("<p>The jackknife range is CKA recomputed with each batch left out in turn; the batch whose removal")
                .append(" moves it most is named, with the CKA without it. A wide range means one batch carries the number.</p>\n")
                .append("<p>p: the permutation null, the share of minibatch CKAs over images paired at random (each batch's")
                .append(" second layer permuted, --permutations times) at least as large, with the +1 correction.</p>\n")
                .append("<table><tr><th>layer x</th><th>layer y</th><th>CKA</th><th>interval</th><th>p</th><th>jackknife range</th>")
                .append("<th>most influential batch: CKA without it</th></tr>\n");
        List<ReportData.Cka> rows = new ArrayList<>();
        for (ReportData.Cka r : data.cka()) {
            boolean upper = r.modelX().equals(r.modelY()) ? r.layerX() < r.layerY() : r.modelX().compareTo(r.modelY()) < 0;
            if (upper && Vocabulary.UNBIASED.equals(r.estimator()) && Vocabulary.GLOBAL.equals(r.scope())) {
                rows.add(r);
            }
        }
        rows.sort(Comparator.comparing((ReportData.Cka r) -> r.modelX() + r.modelY()).thenComparingInt(ReportData.Cka::layerX)
                .thenComparingInt(ReportData.Cka::layerY));
        boolean twoModels = data.layerNames().size() > 1;
        for (ReportData.Cka r : rows) {
            String why = r.batches() < 2 ? "none: 1 batch (the bootstrap resamples batches)" : "none: --bootstrap 0";
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td class=\"num\">%.4f</td><td>%s</td><td class=\"num\">%s</td><td>%s</td><td>%s</td></tr>%n",
                    esc((twoModels ? r.modelX() + ":" : "") + data.layerNames().get(r.modelX()).get(r.layerX())),
                    esc((twoModels ? r.modelY() + ":" : "") + data.layerNames().get(r.modelY()).get(r.layerY())), r.cka(),
                    r.ciLow() == null ? why : String.format(Locale.ROOT, "[%.4f, %.4f]", r.ciLow(), r.ciHigh()),
                    r.pValue() == null ? "" : String.format(Locale.ROOT, "%.4f", r.pValue()),
                    r.jackknifeLow() == null ? "none: 1 batch" : String.format(Locale.ROOT, "[%.4f, %.4f]", r.jackknifeLow(), r.jackknifeHigh()),
                    r.influentialBatch() == null ? "" : String.format(Locale.ROOT, "batch %d: %.4f", r.influentialBatch(), r.withoutInfluential())));
        }
        h.append("</table>\n");
        h.append("<h3>Flagged batches</h3>\n");
        if (data.flaggedBatches().isEmpty()) {
            h.append("<p>None: no global batch holds more than 3/k of a layer's summed self-HSIC (k batches).</p>\n");
        } else {
            h.append("<p>Global batches holding more than 3/k of a layer's summed self-HSIC (k batches): an outlying image in")
                    .append(" them can dominate that layer's CKA. <code>hsic_batches</code> has every share.</p>\n")
                    .append("<table><tr><th>layer</th><th>batch</th><th>images</th><th>share</th></tr>\n");
            for (ReportData.FlaggedBatch f : data.flaggedBatches()) {
                h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%.3f</td></tr>%n",
                        esc((twoModels ? f.model() + ":" : "") + data.layerNames().get(f.model()).get(f.layer())), f.batch(), f.n(), f.share()));
            }
            h.append("</table>\n");
        }
    }

    private void failures() {
        h.append("<h2 id=\"failed\">Images that failed</h2>\n");
        if (data.failedImages().isEmpty()) {
            h.append("<p>None.</p>\n");
            return;
        }
        h.append("<table><tr><th>image</th><th>status</th><th>reason</th></tr>\n");
        for (GenericRecord r : data.failedImages()) {
            h.append("<tr><td>").append(esc(r.get("image_id"))).append("</td><td>").append(esc(r.get("status")))
                    .append("</td><td>").append(esc(r.get("error"))).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static String img(Figure f) {
        String img = "<img src=\"" + esc(f.file()) + "\" width=\"" + f.width() + "\" height=\"" + f.height() + "\" loading=\"lazy\" alt=\""
                + esc(f.caption()) + "\">";
        return f.fullSize() == null ? img : "<a href=\"" + esc(f.fullSize()) + "\">" + img + "</a>";
    }

    private void row(String key, Object value) {
        h.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    /** A JSON value as a person reads it: strings bare, lists comma-separated, objects as key: value. */
    static String text(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "";
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        if (e.isJsonArray()) {
            List<String> items = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> items.add(text(x)));
            return items.isEmpty() ? "(all)" : String.join(", ", items);
        }
        return e.getAsJsonObject().entrySet().stream().map(x -> x.getKey() + ": " + text(x.getValue()))
                .collect(Collectors.joining("; "));
    }

    private static String time(Object epochMillis) {
        return epochMillis == null ? "" : TIME.format(Instant.ofEpochMilli((Long) epochMillis));
    }

    static String anchor(String section) {
        return section.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    static String esc(Object value) {
        return String.valueOf(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
