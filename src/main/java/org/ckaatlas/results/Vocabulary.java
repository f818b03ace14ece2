package org.ckaatlas.results;

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

    /** The estimator every run computes (cka.Estimator.UNBIASED's label). */
    public static final String UNBIASED = "unbiased";

    /** runs.status: while the driver works; while its tables move into place; and the two ends. */
    public static final String RUNNING = "running";
    public static final String PUBLISHING = "publishing";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    /** What readers call a running or publishing row whose heartbeat stopped: the driver died. */
    public static final String ABANDONED = "abandoned";

    /**
     * The status a reader should show: a running or publishing row whose driver missed six heartbeats
     * is abandoned (killed -9, or its machine lost). {@link #STATUS_SQL} says the same in SQL.
     */
    public static String readStatus(String status, Long heartbeatAt, Integer heartbeatSeconds, long now) {
        boolean live = RUNNING.equals(status) || PUBLISHING.equals(status);
        return live && heartbeatAt != null && heartbeatSeconds != null && now - heartbeatAt > 6_000L * heartbeatSeconds
                ? ABANDONED : status;
    }

    public static final String STATUS_SQL = "CASE WHEN status IN ('" + RUNNING + "', '" + PUBLISHING + "') "
            + "AND heartbeat_at < current_timestamp() - make_interval(0, 0, 0, 0, 0, 0, 6 * heartbeat_seconds) "
            + "THEN '" + ABANDONED + "' ELSE status END";

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
