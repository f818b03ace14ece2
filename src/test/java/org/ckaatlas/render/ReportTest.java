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
                "layer_cka_classes.png", "channel_cka_mean_a_0.png", "channel_cka_offdiag.png", "grid_000.png")), files.toString());
        assertEquals(2L * (3 + 2), files.stream().filter(f -> f.startsWith("grid_")).count(), "2 images x (3 + 2) layers");
        for (Element img : images) {
            String src = img.attr("src");
            assertFalse(src.contains("/") || src.contains("\\") || src.contains(":") || src.startsWith("."), "stays in the folder: " + src);
            BufferedImage png = ImageIO.read(folder.resolve(src).toFile());
            assertEquals(Integer.parseInt(img.attr("width")), png.getWidth(), src);
            assertEquals(Integer.parseInt(img.attr("height")), png.getHeight(), src);
            assertFalse(img.parent().select("figcaption").text().isBlank(), "captioned: " + src);
        }
        assertTrue(html.select("script, link[href], [src^=http], [href^=http]").isEmpty(), "offline: no scripts, no remote links");
        assertTrue(html.text().contains("95% bootstrap intervals"), "the intervals");
        assertTrue(Files.list(folder).count() >= files.size() + 1);
    }
}
