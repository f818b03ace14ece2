package org.ckaatlas.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckaatlas.data.ImageRef;

/**
 * Reads and decodes a task's batches ahead of its forward passes. A task {@link #start}s batch k+1
 * before it runs batch k, so a pool of decode threads works on k+1 while libtorch works on k; the
 * task starts one batch ahead and no more, so memory holds at most two decoded batches. Images land in
 * their batch by position: membership, order and numbers do not depend on the number of threads.
 *
 * <p>A task waiting for its batch helps: it decodes the batch's images no decode thread has started yet
 * (its core is idle while it waits, and the first batch has no forward to hide behind). With no decode
 * threads, a batch is decoded in the task's own thread when it is needed, between forwards. Either way,
 * the time the forward waited for its input is the batch's {@code decode wait}.
 */
public final class DecodeAhead implements AutoCloseable {
    private final BatchAnalysis analysis;
    private final ExecutorService pool;

    /** @param threads decode threads, 0 to decode in the calling thread */
    public DecodeAhead(BatchAnalysis analysis, int threads) {
        this.analysis = analysis;
        AtomicInteger count = new AtomicInteger();
        this.pool = threads == 0 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "cka-atlas-decode-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts reading and decoding a batch's images (in the pool; without one, nothing yet). */
    public Pending start(WorkItem item) {
        List<FutureTask<DecodedBatch.Image>> images = new ArrayList<>();
        if (pool != null) {
            for (ImageRef ref : item.batch().images()) {
                FutureTask<DecodedBatch.Image> image = new FutureTask<>(() -> analysis.decode(ref));
                pool.execute(image);
                images.add(image);
            }
        }
        return new Pending(item, images);
    }

    /** Stops the decode threads; images still queued are dropped. */
    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    /** A batch on its way. */
    public final class Pending {
        private final WorkItem item;
        private final List<FutureTask<DecodedBatch.Image>> images;

        private Pending(WorkItem item, List<FutureTask<DecodedBatch.Image>> images) {
            this.item = item;
            this.images = images;
        }

        public WorkItem item() {
            return item;
        }

        /** The decoded batch, once all its images are in; the wait is recorded as its decode wait. */
        public DecodedBatch await() {
            long t0 = System.nanoTime();
            List<DecodedBatch.Image> decoded = new ArrayList<>();
            if (pool == null) {
                for (ImageRef ref : item.batch().images()) {
                    decoded.add(analysis.decode(ref));
                }
            } else {
                for (FutureTask<DecodedBatch.Image> image : images) {
                    image.run(); // decodes it here unless a decode thread has started it (then a no-op)
                }
                for (FutureTask<DecodedBatch.Image> image : images) {
                    decoded.add(result(image));
                }
            }
            DecodedBatch batch = analysis.assemble(item, decoded);
            batch.times().add(StageTimes.DECODE_WAIT, System.nanoTime() - t0);
            return batch;
        }

        private DecodedBatch.Image result(Future<DecodedBatch.Image> image) {
            try {
                return image.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the task is being killed
                throw new IllegalStateException("interrupted while waiting for batch " + item.batch().index() + "'s images", e);
            } catch (ExecutionException e) {
                // decode records its own failures per image: what arrives here is an Error or a bug
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(e.getCause());
            }
        }
    }
}
