package org.ckaatlas.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run with two models, class scope and feature grids renders a self-contained report. */
class ReportTest {
    @TempDir
    Path dir;

    @Test
    void theReportParsesAndEveryImageItNamesIsThereAtItsStatedSize() throws Exception {
        SampleData.write(dir.resolve("data"), 3, 5, 8);
        Cli.expect(0, List.of("run", "--data", dir.resolve("data").toString(), "--out", dir.resolve("out").toString(),
                "--run-id", "rep", "--model", Cli.TINY_MODEL, "--compare", Cli.TINY_MODEL, "--compare-layers", "0,2", "--scope", "both",
                "--feature-grids", "2", "--batch-size", "4", "--master", "local[2]", "--quiet", "--bootstrap", "20"));

        Path folder = RunReport.folder(dir.resolve("out").toString(), "rep");
        Document html = Jsoup.parse(folder.resolve("index.html").toFile(), "UTF-8");
        assertEquals("cka-atlas run rep", html.title());
        List<Element> images = html.select("img");
        Set<String> files = images.stream().map(i -> i.attr("src")).collect(Collectors.toSet());
        assertTrue(files.containsAll(Set.of("layer_cka_global.png", "layer_cka_global_b.png", "layer_cka_global_a_vs_b.png",
                "class_summary.png", "class_pairs.png", "layer_cka_classes.png", "channel_cka_mean_a_0.png", "channel_cka_offdiag.png",
                "grid_000_thumb.jpg", "input_000.jpg")), files.toString());
        assertEquals(2L * (3 + 2), files.stream().filter(f -> f.startsWith("grid_")).count(), "2 images x (3 + 2) layers");
        for (Element img : images) {
            String src = img.attr("src");
            assertFalse(src.contains("/") || src.contains("\\") || src.contains(":") || src.startsWith("."), "stays in the folder: " + src);
            BufferedImage png = ImageIO.read(folder.resolve(src).toFile());
            assertEquals(Integer.parseInt(img.attr("width")), png.getWidth(), src);
            assertEquals(Integer.parseInt(img.attr("height")), png.getHeight(), src);
            assertEquals("lazy", img.attr("loading"), src);
            assertFalse(img.attr("alt").isBlank(), "described: " + src);
            if (img.parent().tagName().equals("figure")) {
                assertFalse(img.parent().select("figcaption").text().isBlank(), "captioned: " + src);
            }
        }
        // a thumbnail opens its full-size grid, which has the grid's own size
        Element link = html.selectFirst("a[href=grid_000.png]");
        assertTrue(link != null && link.selectFirst("img[src=grid_000_thumb.jpg]") != null, "thumbnail links to the full grid");
        assertTrue(Files.exists(folder.resolve("grid_000.png")));
        assertTrue(html.select("script, link[href], [src^=http], [href^=http]").isEmpty(), "offline: no scripts, no remote links");
        for (Element a : html.select("nav a")) {
            assertTrue(html.getElementById(a.attr("href").substring(1)) != null, "contents entry has its section: " + a.attr("href"));
        }
        assertFalse(html.text().contains("{\"") || html.text().contains("\\u003d"), "no JSON in the page");
        assertTrue(html.text().contains("tiny_vgg.pt"), "the model's spec, as text");
        assertTrue(html.text().contains("95% bootstrap intervals"), "the intervals");
        assertTrue(files.contains("channel_spectra.png") && html.text().contains("effective channels"), "channel redundancy");
        List<String> ids = html.select("[id]").eachAttr("id");
        assertEquals(Set.copyOf(ids).size(), ids.size(), "anchors are unique: " + ids);

        // rendering again draws the same files, not twice as many
        long before = Files.list(folder).count();
        new RunReport(dir.resolve("out").toString(), "rep").render();
        assertEquals(before, Files.list(folder).count());
    }

    /**
     * Fifty labels, two models, both scopes, channel means and fifty feature grids: the ImageNet50 job's
     * shape with a tiny model. What the page loads (its HTML and every image it shows) stays in budget,
     * and each grid thumbnail is small enough that 800 of them would too.
     */
    @Test
    void aFiftyLabelReportStaysUnderItsPageWeight() throws Exception {
        SampleData.write(dir.resolve("fifty"), 50, 4, 5);
        Cli.expect(0, List.of("run", "--data", dir.resolve("fifty").toString(), "--out", dir.resolve("out").toString(),
                "--run-id", "fifty", "--model", Cli.TINY_MODEL, "--compare", Cli.TINY_MODEL, "--scope", "both",
                "--channel-cka", "mean", "--feature-grids", "50", "--batch-size", "4", "--master", "local[2]", "--quiet",
                "--bootstrap", "20"));
        Path folder = RunReport.folder(dir.resolve("out").toString(), "fifty");
        Document html = Jsoup.parse(folder.resolve("index.html").toFile(), "UTF-8");
        long weight = Files.size(folder.resolve("index.html"));
        long thumbs = 0;
        int grids = 0;
        for (Element img : html.select("img")) {
            long bytes = Files.size(folder.resolve(img.attr("src")));
            weight += bytes;
            if (img.attr("src").startsWith("grid_")) {
                thumbs = Math.max(thumbs, bytes);
                grids++;
            }
        }
        assertEquals(50 * (3 + 3), grids, "50 images x 2 models x 3 layers");
        assertTrue(weight < 25L << 20, "page weight " + weight);
        assertTrue(thumbs < 30_000, "largest grid thumbnail " + thumbs + " bytes");
        assertEquals(2 * 50, html.select("table.grids tr").size() - 2, "per model, one row per image");
        // fifty classes in the summary, sorted by their first-last CKA
        BufferedImage summary = ImageIO.read(folder.resolve("class_summary.png").toFile());
        assertTrue(summary.getHeight() > 50 * 14, "a row per class");
    }
}
