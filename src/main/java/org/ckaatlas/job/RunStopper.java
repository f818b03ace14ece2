package org.ckaatlas.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.analysis.RunFailedException;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Stops a run from outside its main thread and says why: SIGTERM or SIGINT (a scheduler's timeout, an
 * operator's Ctrl-C), or a watchdog such as {@link ScheduleWatch}. Running Spark jobs are cancelled, so
 * the driver's main thread fails the run the ordinary way: its runs row says failed and why, exit 3. If
 * the main thread has not finished that within a minute, the JVM halts with exit 3.
 */
final class RunStopper implements AutoCloseable {
    private static final String[] SIGNALS = {"TERM", "INT"};

    private final SparkSession spark;
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile String reason;
    private volatile Thread halt;

    private RunStopper(SparkSession spark) {
        this.spark = spark;
    }

    static RunStopper watch(SparkSession spark) {
        RunStopper stopper = new RunStopper(spark);
        for (String name : SIGNALS) {
            stopper.previous.add(Signal.handle(new Signal(name), s -> stopper.stop("stopped by SIG" + s.getName())));
        }
        return stopper;
    }

    /** Why the run was stopped, or null. */
    String reason() {
        return reason;
    }

    /** Stops the run: cancels its Spark jobs; the main thread records {@code why}. */
    synchronized void stop(String why) {
        if (reason != null) {
            return;
        }
        reason = why;
        System.err.println("cka-atlas: " + why + ": failing the run");
        halt = new Thread(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
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
        for (int i = 0; i < SIGNALS.length; i++) {
            Signal.handle(new Signal(SIGNALS[i]), previous.get(i));
        }
    }
}
