package org.ckaatlas.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.results.ResultReader;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.TableFiles;
import org.ckaatlas.results.Vocabulary;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page across runs, over real runs of the tiny model: three nights of a job (the middle one failed),
 * a failed re-run of a published night, a driver that died (a running row whose heartbeat stopped) and a
 * live one; then scripts/nightly rendering it whatever the run did.
 */
class IndexPageTest {
    private static final String JOB = "job";
    private static final String NIGHT1 = "job-2026-11-01";
    private static final String NIGHT2 = "job-2026-11-02";
    private static final String NIGHT3 = "job-2026-11-03";

    @TempDir
    static Path dir;

    static Path out;
    static Path broken;
    static Document page;

    @BeforeAll
    static void nightsAndThePage() throws Exception {
        out = dir.resolve("out");
        SampleData.write(dir.resolve("night1"), 2, 6, 1);
        SampleData.write(dir.resolve("night3"), 2, 6, 2);
        broken = dir.resolve("broken");
        Files.createDirectories(broken.resolve("c0"));
        for (int i = 0; i < 8; i++) {
            Files.writeString(broken.resolve("c0/not-an-image-" + i + ".jpg"), "no pixels here");
        }
        Cli.expect(0, run(NIGHT1, dir.resolve("night1")));
        Cli.expect(3, run(NIGHT2, broken));
        Cli.expect(0, run(NIGHT3, dir.resolve("night3")));
        Cli.expect(3, run(NIGHT1, broken)); // a failed re-run: night 1 stays published, with a note
        long now = System.currentTimeMillis();
        writeRunningRow("adhoc-killed", now - 600_000, 10); // ten minutes without a heartbeat: the driver died
        writeRunningRow("adhoc-live", now, 3600);
        Cli.Outcome both = Cli.expect(0, List.of("render", "--out", out.toString(), "--run-id", NIGHT3, "--index"));
        assertTrue(both.out().contains("report: ") && both.out().contains("index: "), both.out());
        page = Jsoup.parse(IndexPage.folder(out.toString()).resolve("index.html").toFile(), "UTF-8");
    }

    private static List<String> run(String runId, Path data) {
        return List.of("run", "--data", data.toString(), "--out", out.toString(), "--run-id", runId, "--model", Cli.TINY_MODEL,
                "--quiet", "--no-render", "--bootstrap", "20", "--batch-size", "4", "--master", "local[1]");
    }

    /** A runs row as a driver writes it while it works (night 3's, copied), with the given heartbeat. */
    private static void writeRunningRow(String runId, long heartbeatAt, int heartbeatSeconds) throws IOException {
        GenericData.Record row = new GenericData.Record((GenericData.Record) runsRow(NIGHT3), true);
        row.put("status", Vocabulary.RUNNING);
        row.put("finished_at", null);
        row.put("heartbeat_at", heartbeatAt);
        row.put("heartbeat_seconds", heartbeatSeconds);
        TableFiles.write(new org.apache.hadoop.fs.Path(Table.RUNS.partitionPath(out.toString(), runId), "part-00000.parquet"),
                Table.RUNS.schema(), List.of(row), new Configuration());
    }

    private static GenericRecord runsRow(String runId) throws IOException {
        return new ResultReader(out.toString(), new Configuration()).read(Table.RUNS, runId).get(0);
    }

    private static Element row(String runId) {
        Element cell = page.select("table.runs td:eq(0)").stream().filter(td -> td.text().equals(runId)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + runId + " in " + page.select("table.runs")));
        return cell.parent();
    }

    @Test
    void everyRunIsListedFailedAndAbandonedOnesMarkedWithTheirReason() throws Exception {
        assertEquals(5, page.select("table.runs tr:gt(0)").size(), "3 nights and 2 other runs: " + page.select("table.runs"));
        Element failed = row(NIGHT2);
        assertTrue(failed.hasClass("failed"), failed.outerHtml());
        assertEquals("failed", failed.select("td.status").text());
        String reason = runsRow(NIGHT2).get("error").toString();
        assertTrue(failed.text().contains(reason), "the runs row's reason, " + reason + ": " + failed.text());

        Element abandoned = row("adhoc-killed");
        assertTrue(abandoned.hasClass("abandoned"), abandoned.outerHtml());
        assertEquals("abandoned", abandoned.select("td.status").text());
        assertTrue(abandoned.text().contains("no heartbeat since"), abandoned.text());
        assertEquals("running", row("adhoc-live").select("td.status").text(), "a live heartbeat is still running");
        Element others = page.getElementById("other-runs");
        assertNotNull(others);
        assertEquals(2, others.select("table.runs tr:gt(0)").size(), "the ad-hoc ids are other runs");

        Element night1 = row(NIGHT1);
        assertEquals("succeeded", night1.select("td.status").text());
        assertFalse(night1.hasClass("failed"));
        assertTrue(night1.text().contains("1 re-run failed") && night1.text().contains("failed to decode"), night1.text());
        assertTrue(night1.select(".attempts").text().matches(".* 2\\d{3}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC: .*"),
                "when, readable: " + night1.text());

        GenericRecord run3 = runsRow(NIGHT3);
        Element night3 = row(NIGHT3);
        List<String> cells = night3.select("td").eachText();
        assertTrue(cells.get(2).matches("2\\d{3}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC"), "started, readable: " + cells.get(2));
        assertEquals(run3.get("images_ok").toString(), cells.get(3));
        assertEquals(run3.get("images_failed").toString(), cells.get(4));
        assertTrue(cells.get(5).startsWith("model a: ") && cells.get(5).contains("tiny_vgg.pt"), cells.get(5));
        assertEquals("run_id=" + NIGHT3 + "/index.html", night3.select("a").attr("href"), "its report, relative");
        assertTrue(Files.isRegularFile(IndexPage.folder(out.toString()).resolve(night3.select("a").attr("href"))));
        assertTrue(night1.select("a").isEmpty(), "rendered with --no-render: no report to link");
    }

    @Test
    void theTrendHasOnePointPerGoodNightAndItsFigureIsOnThePage() throws Exception {
        RunsIndex.Job job = RunsIndex.read(out.toString()).job(JOB).orElseThrow();
        assertEquals(List.of(NIGHT3, NIGHT2, NIGHT1), job.runs().stream().map(RunsIndex.Run::runId).toList(), "newest night first");
        assertEquals(List.of("0 \u2013 6", "0 \u2013 3", "3 \u2013 6"), job.trends().stream().map(RunsIndex.Trend::label).toList(),
                "first-last, then neighbours (3 layers)");
        List<GenericRecord> cka1 = modelAGlobalUnbiased(NIGHT1);
        for (RunsIndex.Trend t : job.trends()) {
            assertEquals(List.of(LocalDate.of(2026, 11, 1), LocalDate.of(2026, 11, 3)),
                    t.points().stream().map(RunsIndex.Point::night).toList(), "the failed night has no point: " + t);
            RunsIndex.Point first = t.points().get(0);
            GenericRecord r = find(cka1, index(NIGHT1, t.layerX()), index(NIGHT1, t.layerY()));
            assertEquals((Double) r.get("cka"), first.cka());
            assertNotNull(r.get("ci_low"), "3 batches, 20 resamples: an interval");
            assertEquals((Double) r.get("ci_low"), first.ciLow());
            assertEquals((Double) r.get("ci_high"), first.ciHigh());
        }
        YIntervalSeriesCollection series = new TrendChart(JOB, job.trends()).series();
        assertEquals(3, series.getSeriesCount());
        for (int s = 0; s < series.getSeriesCount(); s++) {
            assertEquals(2, series.getItemCount(s), "one point per good night");
            assertEquals(TrendChart.epochMs(LocalDate.of(2026, 11, 3)), series.getX(s, 1).longValue());
        }

        Path png = IndexPage.trendFile(out.toString(), JOB);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png.toString());
        assertTrue(image.getWidth() > 0 && image.getHeight() > 0);
        Element img = page.getElementById("job-" + JOB).selectFirst("img");
        assertNotNull(img);
        assertEquals(png.getFileName().toString(), img.attr("src"));
        assertEquals("lazy", img.attr("loading"));
        assertEquals(image.getWidth(), Integer.parseInt(img.attr("width")));
        assertEquals(image.getHeight(), Integer.parseInt(img.attr("height")));
    }

    @Test
    void theChangesCompareTheLastTwoGoodRuns() throws Exception {
        Element section = page.getElementById("job-" + JOB);
        Element table = section.selectFirst("table.changes");
        assertNotNull(table, section.outerHtml());
        assertEquals(List.of("layer x", "layer y", NIGHT1, NIGHT3, "change"), table.select("th").eachText(),
                "night 2 failed: nights 1 and 3 are the last two good ones");
        List<GenericRecord> before = modelAGlobalUnbiased(NIGHT1);
        List<GenericRecord> after = modelAGlobalUnbiased(NIGHT3);
        List<Element> rows = table.select("tr:gt(0)");
        assertEquals(3, rows.size(), "3 layers: 3 pairs");
        double previous = Double.MAX_VALUE;
        for (Element tr : rows) {
            List<String> c = tr.select("td").eachText();
            int x = index(NIGHT3, c.get(0));
            int y = index(NIGHT3, c.get(1));
            assertTrue(x < y, c.toString());
            double b = (Double) find(before, x, y).get("cka");
            double a = (Double) find(after, x, y).get("cka");
            assertEquals(String.format(Locale.ROOT, "%.4f", b), c.get(2));
            assertEquals(String.format(Locale.ROOT, "%.4f", a), c.get(3));
            assertEquals(String.format(Locale.ROOT, "%+.4f", a - b), c.get(4));
            assertTrue(Math.abs(a - b) <= previous, "largest change first");
            previous = Math.abs(a - b);
        }
    }

    @Test
    void thePageIsOfflineAndShowsNoJson() throws Exception {
        assertTrue(page.select("script, link, iframe, object, embed, [style*=url], [src^=http], [href^=http]").isEmpty());
        for (Element e : page.select("[src], [href]")) {
            String link = e.hasAttr("src") ? e.attr("src") : e.attr("href");
            assertFalse(link.isEmpty() || link.startsWith("/") || link.contains(":") || link.contains(".."), "relative: " + link);
            assertTrue(Files.exists(IndexPage.folder(out.toString()).resolve(link)), "there: " + link);
        }
        String raw = Files.readString(IndexPage.folder(out.toString()).resolve("index.html"), StandardCharsets.UTF_8);
        assertFalse(raw.contains("http"), "no URL of any kind");
        assertFalse(page.text().contains("{\""), "no raw JSON: " + page.text());
        assertFalse(page.text().contains("[{"), "no raw JSON arrays");
    }

    @Test
    void theStaleRuleIsTheOneSqlAndTheLockUse() {
        long now = 1_000_000_000L;
        assertEquals(Vocabulary.ABANDONED, Vocabulary.shownStatus(Vocabulary.RUNNING, now - 60_001, 10, now));
        assertEquals(Vocabulary.ABANDONED, Vocabulary.shownStatus(Vocabulary.PUBLISHING, now - 60_001, 10, now));
        assertEquals(Vocabulary.RUNNING, Vocabulary.shownStatus(Vocabulary.RUNNING, now - 60_000, 10, now), "six periods exactly: live");
        assertEquals(Vocabulary.RUNNING, Vocabulary.shownStatus(Vocabulary.RUNNING, null, null, now), "no heartbeat column: as written");
        assertEquals(Vocabulary.SUCCEEDED, Vocabulary.shownStatus(Vocabulary.SUCCEEDED, 0L, 1, now));
        assertEquals(new org.ckaatlas.results.RunLock.Holder("r", "x", "h", 1, 0, now - 60_001, 10).isStale(now),
                Vocabulary.isStale(now - 60_001, 10, now));
    }

    @Test
    void renderNeedsARunIdOrIndexAndAnIndexNeedsRuns() throws Exception {
        Cli.Outcome neither = Cli.expect(2, List.of("render", "--out", out.toString()));
        assertEquals(1, neither.err().strip().lines().count(), neither.err());
        assertTrue(neither.err().contains("--run-id") && neither.err().contains("--index"), neither.err());
        Path empty = Files.createDirectories(dir.resolve("empty-out"));
        Cli.Outcome none = Cli.expect(2, List.of("render", "--out", empty.toString(), "--index"));
        assertTrue(none.err().contains("no runs under"), none.err());
        Cli.Outcome failedRun = Cli.expect(2, List.of("render", "--out", out.toString(), "--run-id", NIGHT2, "--index"));
        assertTrue(failedRun.err().contains("nothing to render") && failedRun.out().contains("index: "),
                "the index is rendered even when the run cannot be: " + failedRun.text());
    }

    /** scripts/nightly renders the index after its run, whatever the run did; the index failing never changes its exit code. */
    @Test
    void nightlyRendersTheIndexAfterAFailedRunAndAFailingIndexKeepsTheExitCode() throws Exception {
        Path nightlyOut = dir.resolve("nightly-out");
        Path job = dir.resolve("broken-job.properties");
        Files.writeString(job, String.join("\n", "data=" + broken, "out=" + nightlyOut,
                "model=torchscript:" + Path.of("src/test/resources/fixtures/tiny_vgg.pt").toAbsolutePath(),
                "batch-size=4", "bootstrap=0", "master=local[1]", "device=cpu", "spark.ui.enabled=false", ""));
        Cli.Nightly failed = nightly(job);
        assertEquals(3, failed.code(), failed.output());
        Document index = Jsoup.parse(IndexPage.folder(nightlyOut.toString()).resolve("index.html").toFile(), "UTF-8");
        assertEquals("failed", index.select("tr.failed td.status").text(), index.outerHtml());
        assertFalse(failed.output().contains("index page"), "a rendered index says nothing: " + failed.output());

        // a bad flag (exit 2, before Spark), and a report folder that cannot be written
        Files.writeString(job, "data=" + broken + "\nout=" + nightlyOut + "\ndevice=tpu\n");
        Path report = IndexPage.folder(nightlyOut.toString());
        try (var files = Files.walk(report)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Files.writeString(report, "a file where the report folder goes");
        Cli.Nightly refused = nightly(job);
        assertEquals(2, refused.code(), refused.output());
        List<String> lines = refused.output().lines().filter(l -> l.contains("index page")).toList();
        assertEquals(1, lines.size(), refused.output());
        assertTrue(lines.get(0).startsWith("nightly: "), lines.get(0));
    }

    private static Cli.Nightly nightly(Path job) throws IOException, InterruptedException {
        return Cli.nightly(job, "2026-11-05", dir.resolve("locks"), dir.resolve("logs"));
    }

    private static List<GenericRecord> modelAGlobalUnbiased(String runId) throws IOException {
        List<GenericRecord> rows = new ArrayList<>();
        for (GenericRecord r : new ResultReader(out.toString(), new Configuration()).read(Table.LAYER_CKA, runId)) {
            if (Vocabulary.GLOBAL.equals(r.get("scope").toString()) && Vocabulary.UNBIASED.equals(r.get("estimator").toString())
                    && "a".equals(r.get("model_x").toString()) && "a".equals(r.get("model_y").toString())) {
                rows.add(r);
            }
        }
        return rows;
    }

    private static GenericRecord find(List<GenericRecord> rows, int x, int y) {
        return rows.stream().filter(r -> (Integer) r.get("layer_x") == x && (Integer) r.get("layer_y") == y).findFirst().orElseThrow();
    }

    /** A layer's index among model a's layers of a run, by its name. */
    private static int index(String runId, String name) throws IOException {
        for (GenericRecord r : new ResultReader(out.toString(), new Configuration()).read(Table.LAYERS, runId)) {
            if ("a".equals(r.get("model").toString()) && name.equals(r.get("name").toString())) {
                return (Integer) r.get("layer");
            }
        }
        throw new AssertionError("no layer " + name + " in " + runId);
    }
}
