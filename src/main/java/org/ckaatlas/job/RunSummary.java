package org.ckaatlas.job;

/** What a finished run tells its caller (the CLI prints it). */
public record RunSummary(String runId, String out, long imagesOk, long imagesFailed, int batches,
        int batchesSkipped, double seconds) {}
