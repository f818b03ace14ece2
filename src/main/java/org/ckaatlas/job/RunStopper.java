package org.ckaatlas.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.analysis.RunFailedException;
import org.ckaatlas.model.NativeCalls;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Stops a run from outside its main thread and says why: SIGTERM or SIGINT (a scheduler's timeout, an
 * operator's Ctrl-C), or a watchdog such as {@link ScheduleWatch}. Running Spark jobs are cancelled, so
 * the driver's main thread fails the run the ordinary way: its runs row says failed and why, exit 3. If
 * the main thread has not finished that within a minute, the JVM halts with exit 3.
 *
 * <p>The JVM may also start to exit under a live run: Spark exits with 52 when a local task runs out of
 * memory. A shutdown hook then gives the main thread time to record the failure and makes the exit 3.
 */
final class RunStopper implements AutoCloseable {
    private static final String[] SIGNALS = {"TERM", "INT"};
    /** How long a JVM shutting down under a live run waits for the main thread to record the failure. */
    private static final long RECORD_SECONDS = 30;

    private final SparkSession spark;
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile String reason;
    private volatile Thread halt;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread exiting = new Thread(this::exitAsAFailure, "cka-atlas-exit");

    private RunStopper(SparkSession spark) {
        this.spark = spark;
    }

    static RunStopper watch(SparkSession spark) {
        RunStopper stopper = new RunStopper(spark);
        for (String name : SIGNALS) {
            stopper.previous.add(Signal.handle(new Signal(name), s -> stopper.stop("stopped by SIG" + s.getName())));
        }
        Runtime.getRuntime().addShutdownHook(stopper.exiting);
        return stopper;
    }

    /** A shutdown under a live run: the main thread records the failure, then the exit code is 3. */
    private void exitAsAFailure() {
        try {
            closed.await(RECORD_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            // halt now
        }
        NativeCalls.awaitNone(RECORD_SECONDS); // halting under a forward in flight crashes the JVM
        Runtime.getRuntime().halt(3);
    }

    /** Why the run was stopped, or null. */
    String reason() {
        return reason;
    }

    /** Stops the run: cancels its Spark jobs; the main thread records {@code why}. Says so at once. */
    void stop(String why) {
        stop(why, true);
    }

    /**
     * Stops the run without a line of its own: for a lost lock, where "failing the run" would be untrue
     * (no runs row is written) and the main thread's one failure line says why.
     */
    void stopQuietly(String why) {
        stop(why, false);
    }

    private synchronized void stop(String why, boolean announce) {
        if (reason != null) {
            return;
        }
        reason = why;
        if (announce) {
            System.err.println("cka-atlas: " + why + ": failing the run");
        }
        halt = new Thread(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
            NativeCalls.awaitNone(RECORD_SECONDS);
            Runtime.getRuntime().halt(3);
        }, "cka-atlas-halt");
        halt.setDaemon(true);
        halt.start();
        spark.sparkContext().cancelAllJobs();
    }

    /** @throws RunFailedException once the run has been stopped */
    void check() {
        if (reason != null) {
            throw new RunFailedException(reason);
        }
    }

    /**
     * The main thread is done with the run: no halt, and the signals go back to their earlier handlers
     * (after publishing, a signal no longer fails the run).
     */
    @Override
    public void close() {
        if (halt != null) {
            halt.interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(exiting);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it exits 3 once this returns
        }
        closed.countDown();
        for (int i = 0; i < SIGNALS.length; i++) {
            Signal.handle(new Signal(SIGNALS[i]), previous.get(i));
        }
    }
}
