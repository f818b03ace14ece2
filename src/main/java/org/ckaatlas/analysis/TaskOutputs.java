package org.ckaatlas.analysis;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.LongConsumer;

/**
 * A task's outputs, made as they are read: each work item is analysed only when the consumer asks for
 * more, so a task holds one batch's results and its open channel sums, never all of its batches'.
 */
public final class TaskOutputs implements Iterator<TaskOutput> {
    private final Iterator<WorkItem> items;
    private final BatchAnalysis analysis;
    private final LongConsumer imagesDone;
    private final Runnable atEnd;
    private final ArrayDeque<TaskOutput> ready = new ArrayDeque<>();
    private boolean ended;

    /**
     * @param imagesDone told how many images each item had, once it is analysed (progress)
     * @param atEnd runs once every item is analysed (commit what the task wrote)
     */
    public TaskOutputs(Iterator<WorkItem> items, BatchAnalysis analysis, LongConsumer imagesDone, Runnable atEnd) {
        this.items = items;
        this.analysis = analysis;
        this.imagesDone = imagesDone;
        this.atEnd = atEnd;
    }

    @Override
    public boolean hasNext() {
        WorkItem item = null;
        try {
            while (ready.isEmpty() && !ended) {
                if (items.hasNext()) {
                    item = items.next();
                    ready.addAll(analysis.sums().closeAllBut(item.scope()));
                    ready.add(analysis.process(item));
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

    @Override
    public TaskOutput next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }
}
