package org.ckaatlas.render;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ckaatlas.results.Vocabulary;

/** The global layer x layer heatmaps: each model against itself, and model a against model b. */
final class LayerFigures {
    static final String SECTION = "Layer x layer CKA";
    private static final int WIDTH = 760;
    private static final int HEIGHT = 680;
    private static final double ALPHA = 0.01;
    private static final String NULL_NOTE = " A ring marks a pair whose CKA the permutation null does not reject (p >= 0.01):"
            + " no better aligned than the same layers over images paired at random.";

    private LayerFigures() {}

    static String fileName(String scope, String x, String y) {
        String base = "layer_cka_" + scope.replaceAll("[^A-Za-z0-9._-]", "_");
        if (x.equals(Vocabulary.MODEL_A) && y.equals(Vocabulary.MODEL_A)) {
            return base + ".png";
        }
        return x.equals(y) ? base + "_" + x + ".png" : base + "_" + x + "_vs_" + y + ".png";
    }

    static List<Figure> write(ReportData data, Path dir) throws IOException {
        List<Figure> figures = new ArrayList<>();
        JsonObject models = data.json("models").getAsJsonObject();
        for (String[] pair : new String[][] {{Vocabulary.MODEL_A, Vocabulary.MODEL_A}, {Vocabulary.MODEL_B, Vocabulary.MODEL_B},
            {Vocabulary.MODEL_A, Vocabulary.MODEL_B}}) {
            String x = pair[0];
            String y = pair[1];
            List<ReportData.Cka> rows = data.layerNames().containsKey(x) && data.layerNames().containsKey(y)
                    ? data.rows(Vocabulary.GLOBAL, x, y) : List.of();
            if (rows.isEmpty()) {
                continue;
            }
            String specX = models.getAsJsonObject(x).get("spec").getAsString();
            String specY = models.getAsJsonObject(y).get("spec").getAsString();
            ReportData.Cka any = rows.get(0);
            String subtitle = String.format(Locale.ROOT, "run %s · scope global · %s · %d images in %d %s", data.runId(),
                    x.equals(y) ? specX : specX + " vs " + specY, any.images(), any.batches(), any.batches() == 1 ? "batch" : "batches");
            String title = x.equals(y) ? "Layer x layer CKA of model " + x + " (minibatch, unbiased HSIC)"
                    : "Cross-model CKA: model a (rows) x model b (columns)";
            String file = fileName(Vocabulary.GLOBAL, x, y);
            boolean[][] chance = data.notSignificant(Vocabulary.GLOBAL, x, y, ALPHA);
            new Heatmap(title, subtitle, data.layerNames().get(x), data.layerNames().get(y), data.matrix(Vocabulary.GLOBAL, x, y))
                    .axisLabels("model " + x + " layer", "model " + y + " layer")
                    .withMarks(chance)
                    .writePng(dir.resolve(file).toFile(), WIDTH, HEIGHT);
            figures.add(new Figure(SECTION, file, WIDTH, HEIGHT, x.equals(y)
                    ? "Minibatch linear CKA (Nguyen et al. 2021: unbiased HSIC summed over batches) between every pair of the "
                            + data.layerNames().get(x).size() + " analysed layers of model " + x + " (" + specX + "), over all images."
                            + " 1 = the two layers' representations agree up to rotation and scale; 0 = unrelated."
                            + (any.batches() == 1 ? " One batch: no interval (the bootstrap resamples batches)." : "")
                            + (chance == null ? "" : NULL_NOTE)
                    : "CKA between each layer of model a (" + specX + ", rows) and each layer of model b (" + specY
                            + ", columns), over the same images in the same batches." + (chance == null ? "" : NULL_NOTE)));
        }
        return figures;
    }
}
