package org.ckaatlas.render;

import static org.ckaatlas.render.ReportPage.TIME;
import static org.ckaatlas.render.ReportPage.esc;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.ckaatlas.results.Vocabulary;

/**
 * {@code <out>/report/index.html}: one page across every run under an output root. Each nightly job
 * gets its CKA trend (a PNG next to the page), its biggest changes between its last two good runs, and
 * its runs; other runs are listed on their own. Offline like a run's report: no scripts, no fonts or
 * links from elsewhere, every link relative.
 */
public final class IndexPage {
    private static final String TREND_PREFIX = "trend_";

    private final String out;

    public IndexPage(String out) {
        this.out = out;
    }

    /** {@code <out>/report}, where the run reports' folders are too, for a local output root. */
    public static Path folder(String out) {
        // the parent of every run's report folder: one place says how --out maps to a local folder
        return RunReport.folder(out, "-").getParent();
    }

    /** The trend figure of a job, in the page's folder. */
    public static Path trendFile(String out, String job) {
        return folder(out).resolve(trendName(job));
    }

    static String trendName(String job) {
        // run ids are letters, digits, '.', '_' and '-' already; anything else would not be a file name
        return TREND_PREFIX + job.replaceAll("[^A-Za-z0-9._-]", "_") + ".png";
    }

    /**
     * @return the index.html written
     * @throws FileNotFoundException when there are no runs under {@code out}
     */
    public Path render() throws IOException {
        RunsIndex index = RunsIndex.read(out);
        if (index.jobs().isEmpty() && index.otherRuns().isEmpty()) {
            throw new FileNotFoundException("no runs under " + out);
        }
        Path dir = Files.createDirectories(folder(out));
        Set<String> written = new HashSet<>();
        for (RunsIndex.Job job : index.jobs()) {
            if (hasPoints(job)) {
                Path png = trendFile(out, job.name());
                TrendChart chart = new TrendChart(job.name(), job.trends());
                replace(png, temp -> chart.writePng(temp.toFile()));
                written.add(png.getFileName().toString());
            }
        }
        removeOtherTrends(dir, written);
        Path page = dir.resolve("index.html");
        String html = html(index);
        replace(page, temp -> Files.writeString(temp, html, StandardCharsets.UTF_8));
        return page;
    }

    private interface Writer {
        void write(Path file) throws IOException;
    }

    /**
     * Writes a file aside and moves it over {@code target}: a browser never sees half of it, and two
     * nightly jobs sharing an output root that render at once never write into the same file.
     */
    private static void replace(Path target, Writer writer) throws IOException {
        // not Files.createTempFile: its files are 0600, and the page is for whoever serves the folder
        Path temp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Thread.currentThread().getId() + ".tmp");
        try {
            writer.write(temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static boolean hasPoints(RunsIndex.Job job) {
        return job.trends().stream().anyMatch(t -> !t.points().isEmpty());
    }

    /** A job pruned away or renamed leaves its old figure; only trend figures are ours to remove. */
    private static void removeOtherTrends(Path dir, Set<String> written) throws IOException {
        try (DirectoryStream<Path> trends = Files.newDirectoryStream(dir, TREND_PREFIX + "*.png")) {
            for (Path p : trends) {
                if (!written.contains(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    String html(RunsIndex index) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>cka-atlas: all runs</title>")
                .append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}")
                .append("td.num{text-align:right;font-variant-numeric:tabular-nums}code{background:#f4f4f4;word-break:break-all}")
                .append("tr.failed td,tr.abandoned td{background:#fdecea}tr.failed .status,tr.abandoned .status{color:#a4161a;font-weight:bold}")
                .append(".reason{color:#a4161a}.attempts{color:#8a5a00}img{max-width:100%;height:auto}</style></head><body>\n");
        int runs = index.otherRuns().size() + index.jobs().stream().mapToInt(j -> j.runs().size()).sum();
        h.append("<h1>cka-atlas: all runs</h1>\n<p>").append(runs).append(runs == 1 ? " run" : " runs").append(" under <code>")
                .append(esc(out)).append("</code>, as of ").append(esc(TIME.format(Instant.now())))
                .append(". A run that says running but whose driver stopped its heartbeat is shown as abandoned.</p>\n");
        for (RunsIndex.Job job : index.jobs()) {
            h.append("<section class=\"job\" id=\"job-").append(esc(job.name())).append("\">\n<h2>job <code>")
                    .append(esc(job.name())).append("</code></h2>\n");
            trend(h, job);
            changes(h, job);
            h.append("<h3>Nights</h3>\n");
            runsTable(h, job.runs());
            h.append("</section>\n");
        }
        if (!index.otherRuns().isEmpty()) {
            h.append("<section class=\"job\" id=\"other-runs\">\n<h2>other runs</h2>\n<p>Runs whose ids are not a nightly job's")
                    .append(" (<code>&lt;job&gt;-&lt;yyyy-MM-dd&gt;</code>): no trend.</p>\n");
            runsTable(h, index.otherRuns());
            h.append("</section>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private void trend(StringBuilder h, RunsIndex.Job job) {
        if (!hasPoints(job)) {
            h.append("<p>No good night yet: no trend.</p>\n");
            return;
        }
        String file = trendName(job.name());
        long nights = job.trends().stream().flatMap(t -> t.points().stream()).map(RunsIndex.Point::night).distinct().count();
        h.append("<figure><img src=\"").append(esc(file)).append("\" loading=\"lazy\" width=\"").append(TrendChart.WIDTH)
                .append("\" height=\"").append(TrendChart.HEIGHT).append("\" alt=\"CKA trend of job ").append(esc(job.name()))
                .append("\"><figcaption>CKA of model a's layer pairs (scope global, unbiased HSIC) over ").append(nights)
                .append(nights == 1 ? " good night" : " good nights")
                .append(": the first and the last layer, and neighbouring layers. One point per succeeded night;")
                .append(" failed and abandoned nights have none. The band is the 95% bootstrap interval over batches,")
                .append(" where the night had one.</figcaption></figure>\n");
    }

    private static void changes(StringBuilder h, RunsIndex.Job job) {
        h.append("<h3>Biggest changes</h3>\n");
        if (job.after() == null) {
            h.append("<p>Fewer than two good nights: nothing to compare.</p>\n");
            return;
        }
        h.append("<p>Model a's layer pairs (scope global, unbiased), <code>").append(esc(job.before())).append("</code> to <code>")
                .append(esc(job.after())).append("</code>, the largest |change| first (").append(RunsIndex.CHANGES).append(" at most).</p>\n")
                .append("<table class=\"changes\"><tr><th>layer x</th><th>layer y</th><th>").append(esc(job.before()))
                .append("</th><th>").append(esc(job.after())).append("</th><th>change</th></tr>\n");
        for (RunsIndex.Change c : job.changes()) {
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td class=\"num\">%.4f</td><td class=\"num\">%.4f</td>"
                    + "<td class=\"num\">%+.4f</td></tr>%n", esc(c.layerX()), esc(c.layerY()), c.before(), c.after(), c.delta()));
        }
        h.append("</table>\n");
    }

    private void runsTable(StringBuilder h, List<RunsIndex.Run> runs) {
        h.append("<table class=\"runs\"><tr><th>run</th><th>status</th><th>started</th><th>images ok</th><th>images failed</th>")
                .append("<th>models</th><th>notes</th></tr>\n");
        for (RunsIndex.Run r : runs) {
            h.append("<tr class=\"").append(esc(r.status())).append("\"><td>");
            String report = reportLink(r.runId());
            if (report != null) {
                h.append("<a href=\"").append(esc(report)).append("\">").append(esc(r.runId())).append("</a>");
            } else {
                h.append(esc(r.runId()));
            }
            h.append("</td><td class=\"status\">").append(esc(r.status())).append("</td><td>").append(esc(TIME.format(r.startedAt())))
                    .append("</td><td class=\"num\">").append(r.imagesOk()).append("</td><td class=\"num\">").append(r.imagesFailed())
                    .append("</td><td>model a: <code>").append(esc(r.modelA())).append("</code>");
            if (r.modelB() != null) {
                h.append("<br>model b: <code>").append(esc(r.modelB())).append("</code>");
            }
            h.append("</td><td>").append(notes(r)).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static String notes(RunsIndex.Run r) {
        StringBuilder n = new StringBuilder();
        if (r.broken()) {
            n.append("<span class=\"reason\">").append(esc(reason(r))).append("</span>");
        }
        if (!r.failedAttempts().isEmpty()) {
            n.append("<span class=\"attempts\">").append(r.failedAttempts().size())
                    .append(r.failedAttempts().size() == 1 ? " re-run" : " re-runs").append(" failed; this run stayed as published:");
            for (RunsIndex.FailedAttempt a : r.failedAttempts()) {
                n.append("<br>").append(a.startedAt() == null ? "?" : esc(TIME.format(a.startedAt()))).append(": ").append(esc(a.error()));
            }
            n.append("</span>");
        }
        return n.toString();
    }

    /** The runs row's reason, or, for a running row read as abandoned, when its heartbeat stopped. */
    private static String reason(RunsIndex.Run r) {
        if (r.error() != null) {
            return r.error();
        }
        if (Vocabulary.ABANDONED.equals(r.status()) && r.heartbeatAt() != null) {
            return "no heartbeat since " + TIME.format(r.heartbeatAt()) + ": the driver was killed or lost its machine";
        }
        return "no reason recorded";
    }

    /** The run's report, relative to this page, when it has one. */
    private String reportLink(String runId) {
        Path report = RunReport.folder(out, runId).resolve("index.html");
        return Files.isRegularFile(report) ? folder(out).relativize(report).toString().replace('\\', '/') : null;
    }
}
