package org.ckaatlas.analysis;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op threads multiply with Spark's concurrent tasks (STACK.md): two tasks with two
 * threads each put four busy threads on two cores. Each task slot gets its share of the cores; an
 * explicit -Dai.djl.pytorch.num_threads wins.
 *
 * <p>The count must be set on the thread that runs the forward. libtorch's OpenMP keeps it per thread:
 * DJL sets it once, on the thread that starts the engine, and a Spark task thread would otherwise run
 * with one OpenMP worker per core, whose spinning then takes the core a decode thread needs.
 */
public final class TorchThreads {
    static final String PROPERTY = "ai.djl.pytorch.num_threads";

    private TorchThreads() {}

    /** Sets this JVM's share per task (once), and applies it to the calling thread. */
    public static void configure(int tasksPerExecutor) {
        synchronized (TorchThreads.class) {
            if (System.getProperty(PROPERTY) == null) {
                int cores = Runtime.getRuntime().availableProcessors();
                System.setProperty(PROPERTY, Integer.toString(Math.max(1, cores / Math.max(1, tasksPerExecutor))));
            }
        }
        Engine.getEngine("PyTorch"); // starts it, with the property, if this is the first task in the JVM
        int threads = Integer.getInteger(PROPERTY);
        // only on a change: at::set_num_threads also resets state other tasks' forwards use (libtorch's
        // global pthreadpool, MKL's dynamic mode), and Spark runs many tasks on one pooled thread
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }
}
