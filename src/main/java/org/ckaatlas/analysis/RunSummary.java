package org.ckaatlas.analysis;

import java.util.List;

/**
 * What a finished run tells its caller (the CLI prints it).
 *
 * @param warnings what the run could not do and the user must hear of (e.g. labels too small for class scope)
 * @param tables the tables the run published
 */
public record RunSummary(String runId, String out, long imagesOk, long imagesFailed, int batches,
        int batchesSkipped, double seconds, List<String> warnings, List<String> tables) {}
