package org.ckaatlas.render;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.Vocabulary;

/**
 * One run's report, {@code <out>/report/run_id=<id>/}, from its tables alone (parquet-avro, no Spark):
 * read the tables ({@link ReportData}), draw each kind of figure ({@link LayerFigures},
 * {@link ClassFigures}, {@link ChannelFigures}, {@link GridFigures}), write the page ({@link ReportPage}).
 * Rendering again replaces the folder's contents.
 */
public final class RunReport {
    private final String out;
    private final String runId;

    public RunReport(String out, String runId) {
        this.out = out;
        this.runId = runId;
    }

    /** The report's folder for a local output root. */
    public static Path folder(String out, String runId) {
        return Path.of(out.replaceFirst("^file:(//)?", ""), "report", Table.partition(runId));
    }

    /** The global layer x layer heatmap of model a. */
    public static File heatmapFile(String out, String runId) {
        return folder(out, runId).resolve(LayerFigures.fileName(Vocabulary.GLOBAL, Vocabulary.MODEL_A, Vocabulary.MODEL_A)).toFile();
    }

    /**
     * @return the index.html written
     * @throws FileNotFoundException when the run has no rows (never ran, or unknown id), or did not succeed
     */
    public Path render() throws IOException {
        ReportData data = ReportData.read(out, runId);
        Path dir = Files.createDirectories(folder(out, runId));
        try (Stream<Path> old = Files.list(dir)) {
            for (Path f : old.filter(Files::isRegularFile).toList()) {
                Files.delete(f); // figures of an earlier render: the page names exactly what this one draws
            }
        }
        List<Figure> figures = new ArrayList<>(LayerFigures.write(data, dir));
        figures.addAll(ClassFigures.write(data, dir));
        figures.addAll(ChannelFigures.write(data, dir));
        String dataRoot = data.json("config").getAsJsonObject().get("data").getAsString();
        List<GridFigures.Row> grids = GridFigures.write(data, dir, dataRoot);
        Path index = dir.resolve("index.html");
        Files.writeString(index, new ReportPage(data, figures, grids).html(), StandardCharsets.UTF_8);
        return index;
    }
}
