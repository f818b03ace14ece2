package org.ckaatlas.analysis;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.LongConsumer;
import org.ckaatlas.model.NativeCalls;

/**
 * A task's outputs, made as they are read: each work item is analysed only when the consumer asks for
 * more, so a task holds one batch's results and its open channel sums, never all of its batches'. The
 * next item's images are decoding ({@link DecodeAhead}) while the current one runs.
 */
public final class TaskOutputs implements Iterator<TaskOutput> {
    private final Iterator<WorkItem> items;
    private final BatchAnalysis analysis;
    private final DecodeAhead decoding;
    private final LongConsumer imagesDone;
    private final Runnable atEnd;
    private final ArrayDeque<TaskOutput> ready = new ArrayDeque<>();
    private DecodeAhead.Pending next;
    private boolean ended;

    /**
     * @param imagesDone told how many images each item had, once it is analysed (progress)
     * @param atEnd runs once every item is analysed (commit what the task wrote)
     */
    public TaskOutputs(Iterator<WorkItem> items, BatchAnalysis analysis, DecodeAhead decoding, LongConsumer imagesDone,
            Runnable atEnd) {
        this.items = items;
        this.analysis = analysis;
        this.decoding = decoding;
        this.imagesDone = imagesDone;
        this.atEnd = atEnd;
    }

    @Override
    public boolean hasNext() {
        WorkItem item = null;
        try {
            while (ready.isEmpty() && !ended) {
                if (next == null && items.hasNext()) {
                    next = decoding.start(items.next());
                }
                if (next != null) {
                    DecodeAhead.Pending current = next;
                    item = current.item();
                    next = items.hasNext() ? decoding.start(items.next()) : null; // decodes while this one runs
                    ready.addAll(analysis.sums().closeAllBut(item.scope()));
                    ready.add(analyse(current));
                    ready.addAll(analysis.takeNulls());
                    imagesDone.accept(item.batch().images().size());
                } else {
                    item = null;
                    ready.addAll(analysis.sums().closeAll());
                    ended = true;
                    atEnd.run();
                }
            }
        } catch (OutOfMemoryError e) {
            // an ordinary failure that says where: the batch's arrays are garbage once this unwinds. Not
            // its cause: Spark exits the JVM over an OutOfMemoryError anywhere in the chain (in local
            // mode, the driver's JVM)
            String where = item == null ? "while writing its tables"
                    : "on batch " + item.batch().index() + " of scope " + item.scope() + " (" + item.batch().images().size()
                            + " images)";
            throw new IllegalStateException("a task ran out of memory (" + e.getMessage() + ") " + where
                    + ": give executors more (spark.executor.memory; in local mode, the driver's heap) or lower --batch-size");
        }
        return !ready.isEmpty();
    }

    /** Waits for the batch's input, then runs it: its wall time on this thread is its batch wall. */
    private BatchResult analyse(DecodeAhead.Pending pending) {
        long t0 = System.nanoTime();
        DecodedBatch batch = pending.await();
        BatchResult result = NativeCalls.run(() -> analysis.analyse(batch));
        result.times().add(StageTimes.BATCH_WALL, System.nanoTime() - t0);
        return result;
    }

    @Override
    public TaskOutput next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }
}
