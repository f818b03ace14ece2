package org.ckaatlas.job;

import java.io.Serializable;
import java.util.List;

/**
 * The small things one batch sends home: each image's outcome, and the unbiased HSIC of every
 * layer pair (null when fewer than 4 images decoded), plus where and how it ran.
 */
record BatchResult(int batch, int n, List<ImageOutcome> images, double[][] hsic, Executor executor)
        implements Serializable {

    /** The JVM and device a batch ran on, and how many models that JVM had built by then. */
    record Executor(String executorId, long pid, String device, int modelLoads, String engine)
            implements Serializable {}

    boolean contributes() {
        return hsic != null;
    }
}
