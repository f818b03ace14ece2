package org.ckaatlas.job;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.ckaatlas.cka.CkaMatrix;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.results.Table;

/** The rows of each table, as Avro records of the table's schema. */
final class ResultRows {
    static final String GLOBAL = "global";
    static final String MODEL_A = "a";
    static final String MODEL_B = "b";

    /** The scope of one label's batches and means. */
    static String classScope(String label) {
        return "class:" + label;
    }

    private ResultRows() {}

    static GenericRecord run(String status, Instant started, Instant finished, String config, String models,
            long imagesOk, long imagesFailed, int batches, int batchesSkipped, String versions, String error,
            String stages, String notes) {
        return new GenericRecordBuilder(Table.RUNS.schema())
                .set("status", status)
                .set("started_at", started.toEpochMilli())
                .set("finished_at", finished == null ? null : finished.toEpochMilli())
                .set("config", config)
                .set("models", models)
                .set("images_ok", imagesOk)
                .set("images_failed", imagesFailed)
                .set("batches", batches)
                .set("batches_skipped", batchesSkipped)
                .set("versions", versions)
                .set("error", error)
                .set("stages", stages)
                .set("notes", notes)
                .build();
    }

    /**
     * One row per listed file: its outcome in the batches that decoded it; with class scope only, the
     * files of labels too small to have batches are 'skipped'.
     */
    static List<GenericRecord> images(List<BatchResult> results, CkaJob.Plan plan, boolean classOnly) {
        List<GenericRecord> rows = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (BatchResult result : results) {
            for (ImageOutcome image : result.images()) {
                seen.add(image.imageId());
                rows.add(image(image.imageId(), image.label(), image.isOk() ? "ok" : "failed", image.error(), image.batch(),
                        image.isOk() ? image.width() : null, image.isOk() ? image.height() : null));
            }
        }
        if (classOnly) {
            for (var ref : plan.images()) {
                if (!seen.contains(ref.imageId())) {
                    rows.add(image(ref.imageId(), ref.label(), "skipped",
                            "label has " + plan.labelsTooSmall().get(ref.label()) + " images, fewer than 4: no class batches",
                            null, null, null));
                }
            }
        }
        return rows;
    }

    private static GenericRecord image(String id, String label, String status, String error, Integer batch, Integer width,
            Integer height) {
        GenericData.Record row = new GenericData.Record(Table.IMAGES.schema());
        row.put("image_id", id);
        row.put("label", label);
        row.put("status", status);
        row.put("error", error);
        row.put("batch", batch);
        row.put("width", width);
        row.put("height", height);
        return row;
    }

    /** One row per (scope, model, layer) mean channel-CKA matrix; keys as {@link PartitionResult#meanKey}. */
    static List<GenericRecord> channelMeans(java.util.Map<String, org.ckaatlas.cka.ChannelMean> means) {
        List<GenericRecord> rows = new ArrayList<>();
        means.forEach((key, mean) -> {
            String[] k = key.split("\u0000");
            float[] m = mean.mean();
            List<Float> matrix = new ArrayList<>(m.length);
            for (float v : m) {
                matrix.add(v);
            }
            rows.add(new GenericRecordBuilder(Table.CHANNEL_CKA_MEAN.schema())
                    .set("scope", k[0])
                    .set("model", k[1])
                    .set("layer", Integer.parseInt(k[2]))
                    .set("channels", mean.channels())
                    .set("images", mean.images())
                    .set("matrix", matrix)
                    .build());
        });
        return rows;
    }

    static List<GenericRecord> layers(List<AnalysedModel> models) {
        List<GenericRecord> rows = new ArrayList<>();
        for (AnalysedModel model : models) {
            for (int i = 0; i < model.layers().size(); i++) {
                LayerInfo layer = model.layers().get(i);
                rows.add(new GenericRecordBuilder(Table.LAYERS.schema())
                        .set("model", model.label())
                        .set("layer", i)
                        .set("name", layer.name())
                        .set("tap", layer.tap())
                        .set("channels", layer.channels())
                        .set("height", layer.height())
                        .set("width", layer.width())
                        .build());
            }
        }
        return rows;
    }

    /** Layers of all models together: the size of every HSIC and CKA matrix of the run. */
    static int layerCount(List<AnalysedModel> models) {
        return models.stream().mapToInt(m -> m.layers().size()).sum();
    }

    /** For each index of the combined matrix, the model label and the layer within that model. */
    private record Index(String[] model, int[] layer) {
        static Index of(List<AnalysedModel> models) {
            int size = layerCount(models);
            String[] model = new String[size];
            int[] layer = new int[size];
            int k = 0;
            for (AnalysedModel m : models) {
                for (int i = 0; i < m.layers().size(); i++, k++) {
                    model[k] = m.label();
                    layer[k] = i;
                }
            }
            return new Index(model, layer);
        }
    }

    static List<GenericRecord> hsicBatches(String scope, Estimator estimator, List<AnalysedModel> models, MinibatchHsic hsic) {
        Index index = Index.of(models);
        List<GenericRecord> rows = new ArrayList<>();
        hsic.perBatch().forEach((batch, matrix) -> {
            for (int x = 0; x < matrix.length; x++) {
                for (int y = 0; y < matrix.length; y++) {
                    GenericData.Record row = new GenericData.Record(Table.HSIC_BATCHES.schema());
                    row.put("scope", scope);
                    row.put("estimator", estimator.label());
                    row.put("batch", batch);
                    row.put("n", hsic.batchSize(batch));
                    row.put("model_x", index.model()[x]);
                    row.put("layer_x", index.layer()[x]);
                    row.put("model_y", index.model()[y]);
                    row.put("layer_y", index.layer()[y]);
                    row.put("hsic", matrix[x][y]);
                    rows.add(row);
                }
            }
        });
        return rows;
    }

    static List<GenericRecord> layerCka(String scope, Estimator estimator, List<AnalysedModel> models, CkaMatrix cka) {
        Index index = Index.of(models);
        List<GenericRecord> rows = new ArrayList<>();
        for (int x = 0; x < cka.size(); x++) {
            for (int y = 0; y < cka.size(); y++) {
                GenericData.Record row = new GenericData.Record(Table.LAYER_CKA.schema());
                row.put("scope", scope);
                row.put("estimator", estimator.label());
                row.put("model_x", index.model()[x]);
                row.put("layer_x", index.layer()[x]);
                row.put("model_y", index.model()[y]);
                row.put("layer_y", index.layer()[y]);
                row.put("cka", cka.get(x, y));
                row.put("ci_low", cka.hasInterval() ? cka.low(x, y) : null);
                row.put("ci_high", cka.hasInterval() ? cka.high(x, y) : null);
                row.put("batches", cka.batches());
                row.put("images", cka.images());
                rows.add(row);
            }
        }
        return rows;
    }
}
