package org.ckaatlas.job;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.ckaatlas.cka.Estimator;

/**
 * The small things one batch sends home: each image's outcome, and the unbiased HSIC of every
 * layer pair under each estimator (empty when fewer than 4 images decoded), plus where and how it ran.
 */
record BatchResult(String scope, int batch, int n, List<ImageOutcome> images, Map<Estimator, double[][]> hsic,
        Executor executor)
        implements Serializable {

    /**
     * The JVM and device a batch ran on (with the GPU address Spark assigned, and why it differs when it
     * does), and how many models that JVM had built by then.
     */
    record Executor(String executorId, long pid, String device, String assignedGpu, String deviceNote, int modelLoads,
            String engine)
            implements Serializable {}

    boolean contributes() {
        return !hsic.isEmpty();
    }
}
