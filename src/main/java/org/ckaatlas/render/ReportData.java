package org.ckaatlas.render;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.results.ResultReader;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.Vocabulary;

/**
 * One run's tables as typed values for the report: nothing here draws or writes HTML. Read once; a
 * missing matrix cell is NaN, never 0.
 */
record ReportData(String runId, GenericRecord run, Map<String, List<String>> layerNames, List<Cka> cka,
        List<FlaggedBatch> flaggedBatches, List<ChannelMeanMatrix> channelMeans, Map<String, List<Double>> offDiagonalByLayer,
        List<Grid> grids, List<GenericRecord> failedImages) {

    /** One row of layer_cka. */
    record Cka(String scope, String estimator, String modelX, int layerX, String modelY, int layerY, double cka, Double ciLow,
            Double ciHigh, int batches, int images, Double jackknifeLow, Double jackknifeHigh, Integer influentialBatch,
            Double withoutInfluential, Double pValue) {}

    /** A global batch that carries more than its part of a layer's self-HSIC (hsic_batches.flagged). */
    record FlaggedBatch(String model, int layer, int batch, int n, double share) {}

    /**
     * A mean channel x channel matrix of one scope, model and layer, and its redundancy (null in runs from
     * before it was recorded): dead channels, effective channels, eigenvalues (largest first), group sizes.
     */
    record ChannelMeanMatrix(String scope, String model, int layer, int channels, long images, float[] matrix, Integer dead,
            Double effectiveChannels, double[] eigenvalues, List<Integer> groupSizes) {}

    /** One feature grid: its PNG bytes as the executor wrote them. */
    record Grid(String imageId, String label, String model, int layer, int channels, int columns, byte[] png) {}

    static ReportData read(String out, String runId) throws IOException {
        ResultReader reader = new ResultReader(out, new Configuration());
        if (!reader.exists(Table.RUNS, runId)) {
            throw new FileNotFoundException("no run '" + runId + "' under " + out);
        }
        GenericRecord run = reader.read(Table.RUNS, runId).get(0);
        if (!Vocabulary.SUCCEEDED.equals(run.get("status").toString())) {
            throw new FileNotFoundException("run '" + runId + "' has status " + run.get("status") + ": nothing to render");
        }
        List<GenericRecord> layers = new ArrayList<>(reader.read(Table.LAYERS, runId));
        layers.sort(Comparator.comparingInt(r -> (Integer) r.get("layer")));
        Map<String, List<String>> names = new TreeMap<>();
        Map<String, List<Integer>> channels = new TreeMap<>();
        for (GenericRecord r : layers) {
            names.computeIfAbsent(r.get("model").toString(), k -> new ArrayList<>()).add(r.get("name").toString());
            channels.computeIfAbsent(r.get("model").toString(), k -> new ArrayList<>()).add((Integer) r.get("channels"));
        }
        List<Cka> cka = new ArrayList<>();
        for (GenericRecord r : reader.read(Table.LAYER_CKA, runId)) {
            cka.add(new Cka(r.get("scope").toString(), r.get("estimator").toString(), r.get("model_x").toString(),
                    (Integer) r.get("layer_x"), r.get("model_y").toString(), (Integer) r.get("layer_y"), (Double) r.get("cka"),
                    (Double) r.get("ci_low"), (Double) r.get("ci_high"), ((Number) r.get("batches")).intValue(),
                    ((Number) r.get("images")).intValue(), (Double) r.get("jackknife_low"), (Double) r.get("jackknife_high"),
                    (Integer) r.get("influential_batch"), (Double) r.get("cka_without_influential"), (Double) r.get("p_value")));
        }
        List<FlaggedBatch> flagged = new ArrayList<>();
        for (GenericRecord r : reader.read(Table.HSIC_BATCHES, runId)) {
            if (Boolean.TRUE.equals(r.get("flagged")) && Vocabulary.GLOBAL.equals(r.get("scope").toString())
                    && Vocabulary.UNBIASED.equals(r.get("estimator").toString())) {
                flagged.add(new FlaggedBatch(r.get("model_x").toString(), (Integer) r.get("layer_x"), (Integer) r.get("batch"),
                        (Integer) r.get("n"), (Double) r.get("share")));
            }
        }
        flagged.sort(Comparator.comparingDouble(FlaggedBatch::share).reversed());
        Map<String, List<Integer>> groupSizes = new TreeMap<>();
        if (reader.exists(Table.CHANNEL_GROUPS, runId)) {
            for (GenericRecord r : reader.read(Table.CHANNEL_GROUPS, runId)) {
                groupSizes.computeIfAbsent(r.get("scope") + "|" + r.get("model") + "|" + r.get("layer"), k -> new ArrayList<>())
                        .add((Integer) r.get("size"));
            }
            groupSizes.values().forEach(v -> v.sort(java.util.Comparator.reverseOrder()));
        }
        List<ChannelMeanMatrix> means = new ArrayList<>();
        if (reader.exists(Table.CHANNEL_CKA_MEAN, runId)) {
            for (GenericRecord r : reader.read(Table.CHANNEL_CKA_MEAN, runId)) {
                @SuppressWarnings("unchecked")
                List<Float> values = (List<Float>) r.get("matrix");
                float[] m = new float[values.size()];
                for (int i = 0; i < m.length; i++) {
                    m[i] = values.get(i);
                }
                @SuppressWarnings("unchecked")
                List<Double> eigen = (List<Double>) r.get("eigenvalues");
                @SuppressWarnings("unchecked")
                List<Integer> dead = (List<Integer>) r.get("dead_channels");
                String key = r.get("scope") + "|" + r.get("model") + "|" + r.get("layer");
                means.add(new ChannelMeanMatrix(r.get("scope").toString(), r.get("model").toString(), (Integer) r.get("layer"),
                        (Integer) r.get("channels"), ((Number) r.get("images")).longValue(), m, dead == null ? null : dead.size(),
                        (Double) r.get("effective_channels"),
                        eigen == null ? null : eigen.stream().mapToDouble(Double::doubleValue).toArray(),
                        groupSizes.getOrDefault(key, List.of())));
            }
            means.sort(Comparator.comparing(ChannelMeanMatrix::model).thenComparingInt(ChannelMeanMatrix::layer));
        }
        Map<String, List<Double>> offDiagonal = new TreeMap<>();
        if (reader.exists(Table.CHANNEL_CKA, runId)) {
            for (GenericRecord r : reader.read(Table.CHANNEL_CKA, runId)) {
                double v = (Double) r.get("mean_offdiag");
                if (!Double.isNaN(v)) {
                    offDiagonal.computeIfAbsent(r.get("model") + "\u0000" + String.format(java.util.Locale.ROOT, "%04d", (Integer) r.get("layer")),
                            k -> new ArrayList<>()).add(v);
                }
            }
        }
        List<Grid> grids = new ArrayList<>();
        if (reader.exists(Table.FEATURE_GRIDS, runId)) {
            for (GenericRecord r : reader.read(Table.FEATURE_GRIDS, runId)) {
                ByteBuffer png = ((ByteBuffer) r.get("png")).duplicate();
                byte[] bytes = new byte[png.remaining()];
                png.get(bytes);
                String model = r.get("model").toString();
                int layer = (Integer) r.get("layer");
                grids.add(new Grid(r.get("image_id").toString(), r.get("label").toString(), model, layer,
                        channels.get(model).get(layer), (Integer) r.get("columns"), bytes));
            }
            grids.sort(Comparator.comparing(Grid::imageId).thenComparing(Grid::model).thenComparingInt(Grid::layer));
        }
        List<GenericRecord> failed = reader.read(Table.IMAGES, runId).stream()
                .filter(r -> !"ok".equals(r.get("status").toString())).toList();
        return new ReportData(runId, run, names, cka, flagged, means, offDiagonal, grids, failed);
    }

    /** A runs column that holds JSON, parsed (null when absent). */
    JsonElement json(String column) {
        Object v = run.get(column);
        return v == null ? null : JsonParser.parseString(v.toString());
    }

    /** The unbiased estimator's rows of one scope and model pair. */
    List<Cka> rows(String scope, String x, String y) {
        return cka.stream().filter(r -> r.scope().equals(scope) && r.estimator().equals(Vocabulary.UNBIASED)
                && r.modelX().equals(x) && r.modelY().equals(y)).toList();
    }

    /** The layer x layer matrix of one scope and model pair; NaN where the table has no row. */
    double[][] matrix(String scope, String x, String y) {
        double[][] m = new double[layerNames.get(x).size()][layerNames.get(y).size()];
        for (double[] row : m) {
            Arrays.fill(row, Double.NaN);
        }
        for (Cka r : rows(scope, x, y)) {
            m[r.layerX()][r.layerY()] = r.cka();
        }
        return m;
    }

    /** Cells whose CKA the permutation null does not reject (p >= alpha); null when the run has no p-values. */
    boolean[][] notSignificant(String scope, String x, String y, double alpha) {
        List<Cka> rows = rows(scope, x, y);
        if (rows.stream().noneMatch(r -> r.pValue() != null)) {
            return null;
        }
        boolean[][] marks = new boolean[layerNames.get(x).size()][layerNames.get(y).size()];
        for (Cka r : rows) {
            marks[r.layerX()][r.layerY()] = r.pValue() != null && r.pValue() >= alpha;
        }
        return marks;
    }

    /** One cell: the row of (scope, model a, layer i, layer j), or null. */
    Cka cell(String scope, int i, int j) {
        for (Cka r : rows(scope, Vocabulary.MODEL_A, Vocabulary.MODEL_A)) {
            if (r.layerX() == i && r.layerY() == j) {
                return r;
            }
        }
        return null;
    }

    /** Class scopes that have model a's CKA, by label. */
    List<String> classScopes() {
        return cka.stream().map(Cka::scope).filter(Vocabulary::isClassScope).distinct().sorted().toList();
    }
}
