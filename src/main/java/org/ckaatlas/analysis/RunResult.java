package org.ckaatlas.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.MinibatchHsic;
import org.ckaatlas.results.Vocabulary;

/**
 * Everything that reaches the driver, as one immutable value that merges in any grouping: every batch's
 * small result (outcomes, HSIC of every layer pair, stage times, executor), kept in (scope, batch)
 * order. Its size is O(batches x layers^2 + images); channel sums and rows never enter it.
 */
public final class RunResult implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Comparator<BatchResult> ORDER =
            Comparator.comparing(BatchResult::scope).thenComparingInt(BatchResult::batch);

    private final List<BatchResult> batches;
    /** Scope -> p-values of the unbiased CKA against the permutation null (computed on the executors). */
    private final Map<String, double[][]> pValues;

    private RunResult(List<BatchResult> batches) {
        this(batches, Map.of());
    }

    private RunResult(List<BatchResult> batches, Map<String, double[][]> pValues) {
        this.batches = List.copyOf(batches);
        this.pValues = Map.copyOf(pValues);
    }

    /** This result with the permutation null's p-values per scope. */
    public RunResult withPValues(Map<String, double[][]> byScope) {
        return new RunResult(batches, byScope);
    }

    /** The scope's p-value matrix, or null when no null was computed. */
    public double[][] pValues(String scope) {
        return pValues.get(scope);
    }

    public static RunResult empty() {
        return new RunResult(List.of());
    }

    public static RunResult of(BatchResult batch) {
        return new RunResult(List.of(batch));
    }

    /** The union of two disjoint sets of batches. @throws IllegalArgumentException for a batch in both */
    public RunResult merge(RunResult other) {
        List<BatchResult> all = new ArrayList<>(batches.size() + other.batches.size());
        all.addAll(batches);
        all.addAll(other.batches);
        all.sort(ORDER);
        for (int i = 1; i < all.size(); i++) {
            if (ORDER.compare(all.get(i - 1), all.get(i)) == 0) {
                throw new IllegalArgumentException("batch " + all.get(i).batch() + " of " + all.get(i).scope() + " counted twice");
            }
        }
        return new RunResult(all);
    }

    /** Every batch, in (scope, batch) order. */
    public List<BatchResult> batches() {
        return batches;
    }

    /** Scopes that ran, in order. */
    public List<String> scopes() {
        return batches.stream().map(BatchResult::scope).distinct().toList();
    }

    /** The batches of one scope. */
    public List<BatchResult> inScope(String scope) {
        return batches.stream().filter(b -> b.scope().equals(scope)).toList();
    }

    /** The minibatch HSIC of one scope under one estimator: its batches that kept 4 images. */
    public MinibatchHsic hsic(String scope, Estimator estimator, int layers) {
        return inScope(scope).stream().filter(BatchResult::contributes)
                .map(b -> MinibatchHsic.ofBatch(b.batch(), b.n(), b.hsic().get(estimator)))
                .reduce(MinibatchHsic.empty(layers), MinibatchHsic::merge);
    }

    /**
     * The batches whose outcomes are the images table's: the global scope's when it ran (every image
     * once), else all class batches (each image is in its label's).
     */
    public List<BatchResult> imageBatches() {
        boolean global = batches.stream().anyMatch(b -> b.scope().equals(Vocabulary.GLOBAL));
        return batches.stream().filter(b -> b.scope().equals(Vocabulary.GLOBAL) == global).toList();
    }

    public StageTimes times() {
        return batches.stream().map(BatchResult::times).reduce(new StageTimes(), StageTimes::plus);
    }

    /** Per executor JVM ("id/pid"): its batches' stage times, summed. */
    public Map<String, StageTimes> timesByExecutor() {
        Map<String, StageTimes> m = new TreeMap<>();
        for (BatchResult b : batches) {
            m.merge(jvm(b), b.times(), StageTimes::plus);
        }
        return m;
    }

    /** Per executor JVM ("id/pid"): the images its batches held. */
    public Map<String, Integer> imagesByExecutor() {
        Map<String, Integer> m = new TreeMap<>();
        for (BatchResult b : batches) {
            m.merge(jvm(b), b.images().size(), Integer::sum);
        }
        return m;
    }

    private static String jvm(BatchResult b) {
        return b.executor().executorId() + "/" + b.executor().pid();
    }

    /** Per executor JVM ("id/pid"): the executor facts of each of its batches, in batch order. */
    public Map<String, List<BatchResult.Executor>> executors() {
        Map<String, List<BatchResult.Executor>> m = new TreeMap<>();
        for (BatchResult b : batches) {
            m.computeIfAbsent(jvm(b), k -> new ArrayList<>()).add(b.executor());
        }
        return m;
    }
}
