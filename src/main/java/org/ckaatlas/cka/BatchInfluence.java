package org.ckaatlas.cka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How much single batches carry a minibatch CKA. One image in a thousand can move CKA from 1 to 0.6, and
 * summing over batches does not dilute it: the batch holding it dominates the sums. Two views, both from
 * the per-batch HSIC the run already has:
 * <ul>
 *   <li>each batch's share of a representation's summed self-HSIC, sum_b HSIC_b(K_i,K_i); with k batches a
 *       share above 3/k is flagged;
 *   <li>the jackknife: CKA(i,j) recomputed with each batch left out,
 *       (S_ij - h_b,ij) / sqrt((S_ii - h_b,ii)(S_jj - h_b,jj)), its range over b, and the batch whose
 *       removal moves it most.
 * </ul>
 */
public final class BatchInfluence {
    /** A batch whose share of the summed self-HSIC is above this many times 1/k is flagged. */
    public static final double FLAG_FACTOR = 3;

    private final List<Integer> batches;
    private final double[][][] perBatch;
    private final double[][] sums;

    /** One layer pair's jackknife: the range of leave-one-out CKAs, and the most influential batch. */
    public record Jackknife(double low, double high, int influentialBatch, double withoutInfluential) {}

    public BatchInfluence(MinibatchHsic hsic) {
        Map<Integer, double[][]> byBatch = hsic.perBatch();
        this.batches = new ArrayList<>(byBatch.keySet());
        this.perBatch = byBatch.values().toArray(new double[0][][]);
        this.sums = hsic.sums();
    }

    /** Batch indices, in the order of {@link #shares}. */
    public List<Integer> batches() {
        return batches;
    }

    /** Each batch's share of representation i's summed self-HSIC (NaN when the sum is 0). */
    public double[] shares(int i) {
        double[] share = new double[perBatch.length];
        for (int b = 0; b < perBatch.length; b++) {
            share[b] = perBatch[b][i][i] / sums[i][i];
        }
        return share;
    }

    /** Whether a share marks its batch as carrying more than its part. */
    public boolean flagged(double share) {
        return share > FLAG_FACTOR / perBatch.length;
    }

    /** Null with fewer than 2 batches: nothing is left when one is taken out. */
    public Jackknife jackknife(int i, int j) {
        if (perBatch.length < 2) {
            return null;
        }
        double full = CkaMatrix.cka(sums[i][j], sums[i][i], sums[j][j]);
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        int influential = -1;
        double without = Double.NaN;
        double largest = -1;
        for (int b = 0; b < perBatch.length; b++) {
            double[][] h = perBatch[b];
            double loo = CkaMatrix.cka(sums[i][j] - h[i][j], sums[i][i] - h[i][i], sums[j][j] - h[j][j]);
            if (Double.isNaN(loo)) {
                continue;
            }
            low = Math.min(low, loo);
            high = Math.max(high, loo);
            double moved = Double.isNaN(full) ? 0 : Math.abs(loo - full);
            if (moved > largest) {
                largest = moved;
                influential = batches.get(b);
                without = loo;
            }
        }
        return influential < 0 ? null : new Jackknife(low, high, influential, without);
    }
}
