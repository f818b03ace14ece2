package org.ckaatlas.analysis;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Nanoseconds spent per executor stage: mutable while one batch runs, then merged (into a new value) over
 * batches. The runs table reports seconds.
 */
public final class StageTimes implements Serializable {
    private static final long serialVersionUID = 3L;
    public static final int READ = 0;
    public static final int DECODE = 1;
    public static final int FORWARD = 2;
    public static final int GRAM_HSIC = 3;
    public static final int CHANNEL_CKA = 4;
    public static final int FEATURE_GRIDS = 5;
    /** How long the forward waited for its batch's input: all of read+decode without decode threads. */
    public static final int DECODE_WAIT = 6;
    /** A batch's wall time on its task's thread, from asking for its input to its result. */
    public static final int BATCH_WALL = 7;
    /** The permutation null's permuted HSIC (--permutations). */
    public static final int PERMUTATION_NULL = 8;
    static final String[] STAGES = {"read", "decode+preprocess", "forward", "gram+hsic", "channel_cka", "feature_grids",
        "decode wait", "batch wall", "permutation null"};

    private final long[] nanos = new long[STAGES.length];

    public void add(int stage, long elapsed) {
        nanos[stage] += elapsed;
    }

    /** A new value: this one's times plus the other's. */
    public StageTimes plus(StageTimes other) {
        StageTimes sum = new StageTimes();
        for (int i = 0; i < nanos.length; i++) {
            sum.nanos[i] = nanos[i] + other.nanos[i];
        }
        return sum;
    }

    /** Seconds in one stage. */
    public double seconds(int stage) {
        return nanos[stage] / 1e9;
    }

    /**
     * Stage -> seconds, summed over batches. Each is the time of the thread that did it: read and
     * decode on the decode threads (which overlap the forward), the rest on the task's thread.
     */
    public Map<String, Double> seconds() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < STAGES.length; i++) {
            m.put(STAGES[i], Math.round(nanos[i] / 1e6) / 1e3);
        }
        return m;
    }
}
