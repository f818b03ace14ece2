package org.ckaatlas.job;

import java.util.List;
import java.util.Locale;
import org.apache.spark.util.LongAccumulator;
import org.ckaatlas.analysis.WorkItem;

/**
 * One line on stderr at most every 5 seconds while a run processes images: passes done / total (an
 * image is passed through the models once per scope), rate, ETA. The accumulator reaches the driver as
 * tasks report, so the count moves a batch or a task at a time.
 */
final class Progress implements AutoCloseable {
    private static final long PERIOD_MS = 5_000;
    private final Thread thread;

    private Progress(Thread thread) {
        this.thread = thread;
    }

    static Progress start(LongAccumulator done, List<WorkItem> items, int images, boolean quiet) {
        long total = items.stream().mapToLong(i -> i.batch().images().size()).sum();
        long scopes = items.stream().map(i -> i.isClassScope()).distinct().count();
        String of = scopes > 1 ? " (" + images + " images x " + scopes + " scopes)" : "";
        long start = System.nanoTime();
        Thread t = new Thread(() -> {
            long last = 0;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(PERIOD_MS);
                } catch (InterruptedException e) {
                    return;
                }
                long n = done.value();
                if (n == last) {
                    continue;
                }
                last = n;
                double seconds = (System.nanoTime() - start) / 1e9;
                double rate = n / seconds;
                long eta = rate > 0 ? Math.round((total - n) / rate) : -1;
                System.err.printf(Locale.ROOT, "progress: %d/%d image passes%s, %.0f%%, %.1f images/s, ETA %s%n", n, total, of,
                        100.0 * n / total, rate, eta < 0 ? "?" : eta / 60 + "m" + String.format(Locale.ROOT, "%02d", eta % 60) + "s");
            }
        }, "cka-atlas-progress");
        t.setDaemon(true);
        if (!quiet) {
            t.start();
        }
        return new Progress(t);
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
