package org.ckaatlas.results;

import org.ckaatlas.cka.Estimator;

/**
 * The words the tables use for scopes, models and run states: one place, shared by the job that writes
 * them and the renderer and SQL that read them.
 */
public final class Vocabulary {
    /** The scope whose batches mix all images. */
    public static final String GLOBAL = "global";
    private static final String CLASS_PREFIX = "class:";

    /** Model A, and model B of --compare. */
    public static final String MODEL_A = "a";
    public static final String MODEL_B = "b";

    /** The estimator every run computes, as the tables write it. */
    public static final String UNBIASED = Estimator.UNBIASED.label();

    /** runs.status: while the driver works; while its tables move into place; and the two ends. */
    public static final String RUNNING = "running";
    public static final String PUBLISHING = "publishing";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    /** What readers call a running or publishing row whose heartbeat stopped: the driver died. */
    public static final String ABANDONED = "abandoned";

    /** Heartbeats a live driver may miss: after that many periods its lock and its running row are stale. */
    public static final int STALE_HEARTBEATS = 6;

    /**
     * The status a reader should show, in SQL: a running or publishing row whose driver missed
     * {@link #STALE_HEARTBEATS} heartbeats is abandoned (killed -9, or its machine lost).
     */
    public static final String STATUS_SQL = "CASE WHEN status IN ('" + RUNNING + "', '" + PUBLISHING + "') "
            + "AND heartbeat_at < current_timestamp() - make_interval(0, 0, 0, 0, 0, 0, " + STALE_HEARTBEATS
            + " * heartbeat_seconds) "
            + "THEN '" + ABANDONED + "' ELSE status END";

    /**
     * {@link #STATUS_SQL}'s rule for readers without Spark (and the lock's): no heartbeat for
     * {@link #STALE_HEARTBEATS} periods means the driver is gone.
     */
    public static boolean isStale(long heartbeatAt, int heartbeatSeconds, long now) {
        return now - heartbeatAt > STALE_HEARTBEATS * 1000L * heartbeatSeconds;
    }

    /**
     * The status a reader should show, as {@link #STATUS_SQL} computes it: a row without a heartbeat
     * (written before heartbeats existed) keeps its status, as SQL's null comparison does.
     */
    public static String shownStatus(String status, Long heartbeatAt, Integer heartbeatSeconds, long now) {
        boolean live = RUNNING.equals(status) || PUBLISHING.equals(status);
        return live && heartbeatAt != null && heartbeatSeconds != null && isStale(heartbeatAt, heartbeatSeconds, now)
                ? ABANDONED : status;
    }

    private Vocabulary() {}

    /** The scope of one label's batches and means. */
    public static String classScope(String label) {
        return CLASS_PREFIX + label;
    }

    public static boolean isClassScope(String scope) {
        return scope.startsWith(CLASS_PREFIX);
    }

    /** The label of a class scope. @throws IllegalArgumentException for the global scope */
    public static String labelOf(String scope) {
        if (!isClassScope(scope)) {
            throw new IllegalArgumentException("not a class scope: " + scope);
        }
        return scope.substring(CLASS_PREFIX.length());
    }
}
