package org.ckaatlas.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.ckaatlas.cka.BatchInfluence;
import org.ckaatlas.cka.CkaMatrix;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;

/**
 * The driver's reduction of a run: the checks a run must pass to publish, CKA per scope and estimator
 * (sums over batches in batch order, bootstrap intervals), and the rows of every small table.
 *
 * @param notes what the run could not do (labels too small for class scope, scopes without batches)
 */
public record RunTables(List<GenericRecord> images, List<GenericRecord> layers, List<GenericRecord> hsicBatches,
        List<GenericRecord> layerCka, long imagesOk, long imagesFailed, int batches, int batchesSkipped,
        Map<String, Object> notes) {

    /** @throws RunFailedException when too many images failed or no batch kept 4 images */
    public static RunTables of(RunConfig config, List<AnalysedModel> models, RunPlan plan, RunResult result) {
        List<BatchResult> imageBatches = result.imageBatches();
        long ok = imageBatches.stream().mapToLong(BatchResult::n).sum();
        long analysed = imageBatches.stream().mapToLong(b -> b.images().size()).sum();
        long failed = analysed - ok;
        if (failed > config.maxFailedFraction() * analysed) {
            throw new RunFailedException(String.format(Locale.ROOT,
                    "%d of %d images failed to decode (%.1f%%), above --max-failed-fraction %s; first: %s",
                    failed, analysed, 100.0 * failed / analysed, config.maxFailedFraction(), firstFailure(imageBatches)));
        }
        List<GenericRecord> hsicRows = new ArrayList<>();
        List<GenericRecord> ckaRows = new ArrayList<>();
        Map<String, Object> notes = new LinkedHashMap<>();
        List<String> withoutBatches = new ArrayList<>();
        int used = 0;
        int skipped = 0;
        int layers = ResultRows.layerCount(models);
        for (String scope : result.scopes()) {
            List<BatchResult> inScope = result.inScope(scope);
            int scopeUsed = (int) inScope.stream().filter(BatchResult::contributes).count();
            used += scopeUsed;
            skipped += inScope.size() - scopeUsed;
            if (scopeUsed == 0) {
                withoutBatches.add(scope);
                continue;
            }
            for (Estimator estimator : config.estimators()) {
                MinibatchHsic hsic = result.hsic(scope, estimator, layers);
                CkaMatrix cka = hsic.cka(config.bootstrapResamples(), config.seed());
                BatchInfluence influence = new BatchInfluence(hsic);
                hsicRows.addAll(ResultRows.hsicBatches(scope, estimator, models, hsic, influence));
                ckaRows.addAll(ResultRows.layerCka(scope, estimator, models, cka, influence,
                        estimator == Estimator.UNBIASED ? result.pValues(scope) : null));
            }
        }
        if (ckaRows.isEmpty()) {
            throw new RunFailedException("no batch kept 4 decodable images (" + failed + " of " + analysed
                    + " images failed): nothing to compute");
        }
        if (!withoutBatches.isEmpty()) {
            notes.put("scopes_without_batches", withoutBatches);
        }
        if (!plan.labelsTooSmall().isEmpty() && config.scope().perClass()) {
            notes.put("labels_too_small_for_class_scope", plan.labelsTooSmall());
        }
        return new RunTables(ResultRows.images(imageBatches, plan, !config.scope().global()), ResultRows.layers(models),
                hsicRows, ckaRows, ok, failed, used, skipped, notes);
    }

    /** What the user must hear of on stderr. */
    public List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        if (notes.containsKey("labels_too_small_for_class_scope")) {
            warnings.add("class scope: labels with fewer than 4 images have no class rows: "
                    + notes.get("labels_too_small_for_class_scope"));
        }
        if (notes.containsKey("scopes_without_batches")) {
            warnings.add("no batch kept 4 decodable images in: " + notes.get("scopes_without_batches"));
        }
        return warnings;
    }

    private static String firstFailure(List<BatchResult> results) {
        return results.stream().flatMap(r -> r.images().stream()).filter(i -> !i.isOk()).findFirst()
                .map(i -> i.imageId() + " (" + i.error() + ")").orElse("none");
    }
}
