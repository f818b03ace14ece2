package org.ckaatlas.job;

import org.apache.spark.SparkException;

/**
 * One line that says why a run failed, for its runs row and stderr: the stop reason when it was
 * stopped; else the root cause, with Spark's "Job aborted due to stage failure: ... most recent failure:
 * Lost task ..." wrapping and stack traces cut away.
 */
final class FailureReason {
    private FailureReason() {}

    static String of(Throwable t, String stopReason) {
        if (stopReason != null) {
            return stopReason;
        }
        if (t instanceof OutOfMemoryError) {
            return "the driver ran out of memory (" + t.getMessage() + "): give it more (--driver-memory, CKA_JAVA_OPTS=-Xmx...)";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root
                && (root instanceof SparkException || root instanceof java.util.concurrent.ExecutionException
                        || root.getMessage() == null)) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        String line = message.lines().findFirst().orElse(message);
        int lost = line.indexOf("most recent failure: ");
        if (lost >= 0) {
            line = line.substring(lost + "most recent failure: ".length());
            int cause = line.indexOf("): ");
            if (cause >= 0) {
                line = line.substring(cause + 3);
            }
        }
        // "java.lang.IllegalStateException: --device gpu: ..." -> the message alone
        line = line.replaceFirst("^([a-z][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error): ", "");
        return line;
    }
}
