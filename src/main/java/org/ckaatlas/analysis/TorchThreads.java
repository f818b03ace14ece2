package org.ckaatlas.analysis;

/**
 * libtorch's intra-op threads multiply with Spark's concurrent tasks (STACK.md): two tasks with two
 * threads each put four busy threads on two cores. Before the engine starts in this JVM, give each
 * task slot its share of the cores. An explicit -Dai.djl.pytorch.num_threads wins.
 */
public final class TorchThreads {
    static final String PROPERTY = "ai.djl.pytorch.num_threads";

    private TorchThreads() {}

    public static synchronized void configure(int tasksPerExecutor) {
        if (System.getProperty(PROPERTY) == null) {
            int cores = Runtime.getRuntime().availableProcessors();
            System.setProperty(PROPERTY, Integer.toString(Math.max(1, cores / Math.max(1, tasksPerExecutor))));
        }
    }
}
