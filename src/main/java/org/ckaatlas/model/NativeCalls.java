package org.ckaatlas.model;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Threads inside libtorch, so that a JVM does not exit under them. The JVM's exit runs libtorch's static
 * destructors (oneDNN's, MKL's) while other threads may still be in a forward pass; a forward a stopped
 * run left in flight then crashed the exiting JVM (SIGSEGV in {@code dnnl_primitive_execute}, an
 * hs_err file). A shutdown hook waits for the calls in flight and lets no new one start.
 */
public final class NativeCalls {
    /** The longest an exiting JVM waits for a call in flight: one batch, at the sizes executors run. */
    private static final long EXIT_WAIT_SECONDS = 30;
    private static final Object LOCK = new Object();
    private static int inside;
    private static boolean exiting;

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> awaitNone(EXIT_WAIT_SECONDS), "cka-atlas-native-calls"));
        } catch (IllegalStateException alreadyExiting) {
            exiting = true; // first used once the JVM had begun to exit: nothing may start
        }
    }

    private NativeCalls() {}

    /**
     * Runs {@code work}, which calls into libtorch.
     *
     * @throws IllegalStateException when the JVM has begun to exit
     */
    public static <T> T run(Supplier<T> work) {
        synchronized (LOCK) {
            if (exiting) {
                throw new IllegalStateException("the JVM is exiting: no new work starts in libtorch");
            }
            inside++;
        }
        try {
            return work.get();
        } finally {
            synchronized (LOCK) {
                inside--;
                LOCK.notifyAll();
            }
        }
    }

    /**
     * Lets no new call start, then waits until none is in flight or {@code seconds} have passed.
     *
     * @return whether none is in flight
     */
    public static boolean awaitNone(long seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        synchronized (LOCK) {
            exiting = true;
            while (inside > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(LOCK, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }
}
