package org.ckaatlas.model;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Runs one TorchScript call with libtorch's graph-executor optimisation off. The flag is per thread
 * in libtorch (torch::jit::setGraphExecutorOptimize sets a thread_local), so turning it off around
 * a call scopes it to that call: other models, on this thread or any other, keep DJL's setting
 * (the JVM-wide property ai.djl.pytorch.graph_optimizer, default on).
 *
 * <p>Why off on CPUs: the profiling executor re-specialises the graph for every new input shape (a
 * partition's short last batch is one), and its passes gain nothing on a graph of convolutions; a
 * dense TorchScript file ran 0.95x with it on (scripts/bench-forward). DJL's property, when set,
 * still wins for the files DJL's own forward runs: it sets the flag again before each call. Not for nesting:
 * the inner call's end turns the flag back to DJL's default.
 */
public final class GraphOptimiser {
    private static final boolean DJL_DEFAULT = Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "true"));

    private GraphOptimiser() {}

    public static <T> T off(Supplier<T> call) {
        JniUtils.setGraphExecutorOptimize(false);
        try {
            return call.get();
        } finally {
            JniUtils.setGraphExecutorOptimize(DJL_DEFAULT);
        }
    }
}
