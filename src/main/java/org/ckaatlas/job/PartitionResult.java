package org.ckaatlas.job;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.ckaatlas.cka.ChannelMean;

/**
 * What one task sends home: each batch's small result, the channel-CKA means of its images keyed by
 * (scope, model, layer), the feature grids it drew, and its per-image channel rows (kept on the
 * executors and written from there; {@link #withoutChannelRows} is what the driver collects).
 */
record PartitionResult(List<BatchResult> batches, Map<String, ChannelMean> channelMeans, List<Row> channelRows,
        List<Row> featureGrids, StageTimes times) implements Serializable {

    PartitionResult withoutChannelRows() {
        return new PartitionResult(batches, channelMeans, List.of(), featureGrids, times);
    }

    /** The key of a channel mean: scope, model label and layer. */
    static String meanKey(String scope, String model, int layer) {
        return scope + "\u0000" + model + "\u0000" + layer;
    }
}
