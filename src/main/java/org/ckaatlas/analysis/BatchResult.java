package org.ckaatlas.analysis;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.ckaatlas.cka.Estimator;

/**
 * The small things one batch sends home: each image's outcome, the HSIC of every layer pair under each
 * estimator (empty when fewer than 4 images decoded), the time its stages took, and where it ran.
 * About layers^2 doubles and a line per image: what the driver may receive.
 */
public record BatchResult(String scope, int batch, int n, List<ImageOutcome> images, Map<Estimator, double[][]> hsic,
        StageTimes times, Executor executor) implements TaskOutput {

    /**
     * The JVM and device a batch ran on (with the GPU address Spark assigned, and why it differs when it
     * does), the activation layout its forward ran in, and how many models that JVM had built by then.
     */
    public record Executor(String executorId, long pid, String device, String assignedGpu, String deviceNote, String layout,
            int modelLoads, String engine) implements Serializable {}

    /** Whether the batch kept the 4 images unbiased HSIC needs. */
    public boolean contributes() {
        return !hsic.isEmpty();
    }
}
