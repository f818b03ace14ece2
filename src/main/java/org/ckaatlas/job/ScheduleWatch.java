package org.ckaatlas.job;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;

/**
 * A cluster that can never grant what the job asks (executors bigger than any worker) makes Spark wait
 * forever, warning every 15 s. This stops the run once no task has started within
 * {@code spark.ckaatlas.scheduleTimeout} seconds (default 120), saying what was asked.
 */
final class ScheduleWatch implements AutoCloseable {
    static final String TIMEOUT_KEY = "spark.ckaatlas.scheduleTimeout";
    private final SparkSession spark;
    private final SparkListener listener;
    private final Thread thread;

    private ScheduleWatch(SparkSession spark, SparkListener listener, Thread thread) {
        this.spark = spark;
        this.listener = listener;
        this.thread = thread;
    }

    static ScheduleWatch start(SparkSession spark, RunStopper stopper) {
        SparkConf conf = spark.sparkContext().getConf();
        long timeout = conf.getLong(TIMEOUT_KEY, 120);
        AtomicBoolean started = new AtomicBoolean();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart taskStart) {
                started.set(true);
            }
        };
        spark.sparkContext().addSparkListener(listener);
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(timeout * 1000);
            } catch (InterruptedException e) {
                return;
            }
            if (!started.get()) {
                stopper.stop("no executor started a task within " + timeout + " s (" + TIMEOUT_KEY + "): the job asks "
                        + "spark.executor.memory=" + conf.get("spark.executor.memory", "1g") + " and spark.executor.cores="
                        + conf.get("spark.executor.cores", "all of a worker's") + " per executor, with "
                        + spark.sparkContext().getExecutorMemoryStatus().size() + " JVM(s) registered including the driver; "
                        + "no worker of " + spark.sparkContext().master() + " can give that");
            }
        }, "cka-atlas-schedule-watch");
        thread.setDaemon(true);
        thread.start();
        return new ScheduleWatch(spark, listener, thread);
    }

    @Override
    public void close() {
        thread.interrupt();
        spark.sparkContext().removeSparkListener(listener);
    }
}
