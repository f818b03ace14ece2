package org.ckaatlas.analysis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.ckaatlas.cka.BatchInfluence;
import org.ckaatlas.cka.CkaMatrix;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.cka.ChannelMean;
import org.ckaatlas.cka.ChannelRedundancy;
import org.ckaatlas.results.RunLock;
import org.ckaatlas.results.Table;

/**
 * The rows of every table, each built through its table's Avro schema (the one definition of its
 * columns), from the analysis's values.
 */
public final class ResultRows {
    private ResultRows() {}

    /**
     * A runs row with what is known when the attempt starts; the caller sets the rest (finished_at,
     * counts, versions, stages, notes, error).
     */
    public static GenericRecordBuilder run(String status, Instant started, String config, String models,
            RunLock.Holder attempt) {
        return new GenericRecordBuilder(Table.RUNS.schema())
                .set("status", status)
                .set("started_at", started.toEpochMilli())
                .set("config", config)
                .set("models", models)
                .set("images_ok", 0L)
                .set("images_failed", 0L)
                .set("batches", 0)
                .set("batches_skipped", 0)
                .set("versions", "{}")
                .set("attempt", attempt.attempt())
                .set("host", attempt.host())
                .set("pid", attempt.pid())
                .set("heartbeat_at", attempt.heartbeatAt())
                .set("heartbeat_seconds", attempt.heartbeatSeconds());
    }

    /** One image's channel-CKA summary for one layer, and its matrix when every matrix is kept. */
    public static GenericRecord channelCka(String imageId, String label, String model, int layer, int channels,
            int deadChannels, double meanOffDiagonal, float[] matrix) {
        GenericData.Record row = new GenericData.Record(Table.CHANNEL_CKA.schema());
        row.put("image_id", imageId);
        row.put("label", label);
        row.put("model", model);
        row.put("layer", layer);
        row.put("channels", channels);
        row.put("dead_channels", deadChannels);
        row.put("mean_offdiag", meanOffDiagonal);
        row.put("matrix", matrix); // a float[]: parquet-avro writes it unboxed (see results.TableFiles)
        return row;
    }

    public static GenericRecord featureGrid(String imageId, String label, String model, int layer, int columns, byte[] png) {
        GenericData.Record row = new GenericData.Record(Table.FEATURE_GRIDS.schema());
        row.put("image_id", imageId);
        row.put("label", label);
        row.put("model", model);
        row.put("layer", layer);
        row.put("columns", columns);
        row.put("png", java.nio.ByteBuffer.wrap(png));
        return row;
    }

    /** The mean channel-CKA matrix of one (scope, model, layer). */
    public static GenericRecord channelMean(ChannelSum.Key key, ChannelMean mean, float[] matrix, ChannelRedundancy redundancy) {
        GenericData.Record row = new GenericData.Record(Table.CHANNEL_CKA_MEAN.schema());
        row.put("scope", key.scope());
        row.put("model", key.model());
        row.put("layer", key.layer());
        row.put("channels", mean.channels());
        row.put("images", mean.images());
        row.put("matrix", matrix);
        row.put("dead_channels", java.util.Arrays.stream(redundancy.dead()).boxed().toList());
        row.put("effective_channels", redundancy.effectiveChannels());
        row.put("eigenvalues", redundancy.eigenvalues());
        row.put("groups", redundancy.groups().size());
        return row;
    }

    /** A layer's groups of near-duplicate channels, largest first. */
    public static List<GenericRecord> channelGroups(ChannelSum.Key key, ChannelRedundancy redundancy) {
        List<GenericRecord> rows = new ArrayList<>();
        for (int g = 0; g < redundancy.groups().size(); g++) {
            ChannelRedundancy.Group group = redundancy.groups().get(g);
            GenericData.Record row = new GenericData.Record(Table.CHANNEL_GROUPS.schema());
            row.put("scope", key.scope());
            row.put("model", key.model());
            row.put("layer", key.layer());
            row.put("group", g);
            row.put("channels", java.util.Arrays.stream(group.channels()).boxed().toList());
            row.put("size", group.channels().length);
            row.put("mean_within_cka", group.meanWithinCka());
            rows.add(row);
        }
        return rows;
    }

    /**
     * One row per listed file: its outcome in the batches that decoded it; with class scope only, the
     * files of labels too small to have batches are 'skipped'.
     */
    public static List<GenericRecord> images(List<BatchResult> results, RunPlan plan, boolean classOnly) {
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

    public static List<GenericRecord> layers(List<AnalysedModel> models) {
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
    public static int layerCount(List<AnalysedModel> models) {
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

    /** @param influence the same batches' shares of the summed self-HSIC (self rows get theirs) */
    public static List<GenericRecord> hsicBatches(String scope, Estimator estimator, List<AnalysedModel> models, MinibatchHsic hsic,
            BatchInfluence influence) {
        Index index = Index.of(models);
        List<GenericRecord> rows = new ArrayList<>();
        double[][] shares = new double[hsic.size()][];
        for (int i = 0; i < shares.length; i++) {
            shares[i] = influence.shares(i);
        }
        int[] position = {0};
        hsic.perBatch().forEach((batch, matrix) -> {
            int b = position[0]++;
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
                    if (x == y) {
                        row.put("share", shares[x][b]);
                        row.put("flagged", influence.flagged(shares[x][b]));
                    }
                    rows.add(row);
                }
            }
        });
        return rows;
    }

    /** @param pValues the permutation null's p-values of this scope (unbiased only), or null */
    public static List<GenericRecord> layerCka(String scope, Estimator estimator, List<AnalysedModel> models, CkaMatrix cka,
            BatchInfluence influence, double[][] pValues) {
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
                if (pValues != null && !Double.isNaN(pValues[x][y])) {
                    row.put("p_value", pValues[x][y]);
                }
                BatchInfluence.Jackknife j = influence.jackknife(x, y);
                if (j != null) {
                    row.put("jackknife_low", j.low());
                    row.put("jackknife_high", j.high());
                    row.put("influential_batch", j.influentialBatch());
                    row.put("cka_without_influential", j.withoutInfluential());
                }
                row.put("batches", cka.batches());
                row.put("images", cka.images());
                rows.add(row);
            }
        }
        return rows;
    }
}
