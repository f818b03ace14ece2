package org.ckaatlas.job;

import java.io.Serializable;
import java.util.regex.Pattern;
import org.ckaatlas.model.ModelSpec;

/**
 * Everything a run is configured with; recorded verbatim in the runs table.
 *
 * @param data root of the image folder (any Hadoop FileSystem URI)
 * @param out root of the result tables
 * @param runId partition value under every table
 * @param model model A
 * @param batchSize the largest minibatch (>= 4); sizes differ by at most one
 * @param seed shuffles images into batches and seeds the bootstrap
 * @param bootstrapResamples resamples for the CKA confidence intervals (0: none)
 * @param imageSize side of the square network input
 */
public record RunConfig(String data, String out, String runId, ModelSpec model, int batchSize, long seed,
        int bootstrapResamples, int imageSize) implements Serializable {
    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final int DEFAULT_RESAMPLES = 1000;
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    public RunConfig {
        if (batchSize < 4) {
            throw new IllegalArgumentException("--batch-size must be at least 4 (unbiased HSIC), got " + batchSize);
        }
        if (!RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("--run-id '" + runId + "' must be letters, digits, '.', '_' or '-'");
        }
    }
}
