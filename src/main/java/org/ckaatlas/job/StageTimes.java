package org.ckaatlas.job;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/** Nanoseconds spent per executor stage, summed over batches (mergeable); the runs table reports seconds. */
final class StageTimes implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String[] STAGES = {"read", "decode+preprocess", "forward", "gram+hsic", "channel_cka", "feature_grids"};

    private final long[] nanos = new long[STAGES.length];

    void add(int stage, long elapsed) {
        nanos[stage] += elapsed;
    }

    StageTimes merge(StageTimes other) {
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] += other.nanos[i];
        }
        return this;
    }

    /** Stage -> seconds, summed over all task threads (CPU-seconds, not wall time). */
    Map<String, Double> seconds() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < STAGES.length; i++) {
            m.put(STAGES[i], Math.round(nanos[i] / 1e6) / 1e3);
        }
        return m;
    }
}
