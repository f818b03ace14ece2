package org.ckaatlas.cka;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The minibatch CKA accumulator of Nguyen, Raghu and Kornblith (2021): per batch, the unbiased HSIC of
 * every ordered pair of m representations;
 * CKA(i,j) = sum_b HSIC1(K_i,K_j) / sqrt( sum_b HSIC1(K_i,K_i) * sum_b HSIC1(K_j,K_j) ).
 *
 * <p>An immutable value. It keeps each batch's m x m matrix (small) rather than a running sum, so that
 * {@link #merge} is exactly associative and commutative: whatever grouping Spark combines partial
 * results in, the sums are taken in batch order and come out bit-identical. Keeping the batches also
 * gives the bootstrap its resampling units.
 */
public final class MinibatchHsic implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int size;
    private final TreeMap<Integer, Batch> batches;

    private record Batch(int n, double[][] hsic) implements Serializable {}

    private MinibatchHsic(int size, TreeMap<Integer, Batch> batches) {
        this.size = size;
        this.batches = batches;
    }

    /** No batches yet, for m representations (layers of all models, in a fixed order). */
    public static MinibatchHsic empty(int size) {
        return new MinibatchHsic(size, new TreeMap<>());
    }

    /**
     * One batch's contribution.
     *
     * @param batch the batch's index in the run's batch plan (defines the summation order)
     * @param n images in the batch, at least 4
     * @param hsic m x m unbiased HSIC matrix, as from {@link Hsic#unbiasedMatrix}
     */
    public static MinibatchHsic ofBatch(int batch, int n, double[][] hsic) {
        if (n < Hsic.MIN_UNBIASED_N) {
            throw new IllegalArgumentException("batch " + batch + " has " + n + " images; unbiased HSIC needs at least "
                    + Hsic.MIN_UNBIASED_N);
        }
        TreeMap<Integer, Batch> one = new TreeMap<>();
        one.put(batch, new Batch(n, copy(hsic)));
        return new MinibatchHsic(hsic.length, one);
    }

    /** The union of two disjoint sets of batches. */
    public MinibatchHsic merge(MinibatchHsic other) {
        if (other.batches.isEmpty()) {
            return this;
        }
        if (batches.isEmpty()) {
            return other;
        }
        if (other.size != size) {
            throw new IllegalArgumentException("cannot merge " + size + " with " + other.size + " representations");
        }
        TreeMap<Integer, Batch> union = new TreeMap<>(batches);
        for (Map.Entry<Integer, Batch> e : other.batches.entrySet()) {
            if (union.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("batch " + e.getKey() + " counted twice");
            }
        }
        return new MinibatchHsic(size, union);
    }

    public int size() {
        return size;
    }

    public int batchCount() {
        return batches.size();
    }

    public long imageCount() {
        return batches.values().stream().mapToLong(Batch::n).sum();
    }

    /** Batch index -> (n, m x m HSIC), in batch order; the arrays are copies. */
    public Map<Integer, double[][]> perBatch() {
        TreeMap<Integer, double[][]> out = new TreeMap<>();
        batches.forEach((b, v) -> out.put(b, copy(v.hsic)));
        return Collections.unmodifiableMap(out);
    }

    public int batchSize(int batch) {
        return batches.get(batch).n;
    }

    /** Sum over batches, in batch order. */
    public double[][] sums() {
        double[][] s = new double[size][size];
        for (Batch b : batches.values()) {
            add(s, b.hsic);
        }
        return s;
    }

    /**
     * Finalises to CKA with a 95% percentile bootstrap over batches (resampling whole batches with
     * replacement); no interval with fewer than 2 batches.
     *
     * @throws IllegalStateException when there are no batches
     */
    public CkaMatrix cka(int resamples, long seed) {
        if (batches.isEmpty()) {
            throw new IllegalStateException("no batches: CKA is undefined");
        }
        double[][] cka = CkaMatrix.fromSums(sums());
        if (batches.size() < 2 || resamples <= 0) {
            return new CkaMatrix(cka, null, null, batches.size(), imageCount());
        }
        double[][][] perBatch = batches.values().stream().map(Batch::hsic).toArray(double[][][]::new);
        double[][][] draws = new double[resamples][][];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < resamples; r++) {
            double[][] s = new double[size][size];
            for (int k = 0; k < perBatch.length; k++) {
                add(s, perBatch[random.nextInt(perBatch.length)]);
            }
            draws[r] = CkaMatrix.fromSums(s);
        }
        return new CkaMatrix(cka, percentile(draws, 0.025), percentile(draws, 0.975), batches.size(), imageCount());
    }

    /** Per entry, the q-quantile (nearest rank) of the defined (non-NaN) draws; NaN if none are. */
    private double[][] percentile(double[][][] draws, double q) {
        double[][] out = new double[size][size];
        double[] values = new double[draws.length];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                int count = 0;
                for (double[][] d : draws) {
                    if (!Double.isNaN(d[i][j])) {
                        values[count++] = d[i][j];
                    }
                }
                if (count == 0) {
                    out[i][j] = Double.NaN;
                    continue;
                }
                java.util.Arrays.sort(values, 0, count);
                int rank = (int) Math.ceil(q * count) - 1;
                out[i][j] = values[Math.max(0, Math.min(count - 1, rank))];
            }
        }
        return out;
    }

    private static void add(double[][] into, double[][] m) {
        for (int i = 0; i < into.length; i++) {
            for (int j = 0; j < into.length; j++) {
                into[i][j] += m[i][j];
            }
        }
    }

    private static double[][] copy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            if (m[i].length != m.length) {
                throw new IllegalArgumentException("HSIC matrix must be square");
            }
            c[i] = m[i].clone();
        }
        return c;
    }
}
