package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Batch shares and the jackknife, against recomputation the slow, obvious way. */
class BatchInfluenceTest {
    private static final int LAYERS = 3;
    private static final int N = 12;

    /** One batch of random features per layer (the second layer a noisy copy of the first); image 0 scaled by {@code outlier}. */
    private static MinibatchHsic batch(Random random, int index, double outlier) {
        double[][] grams = new double[LAYERS][];
        double[][] base = new double[N][20];
        for (double[] row : base) {
            for (int d = 0; d < row.length; d++) {
                row[d] = random.nextGaussian();
            }
        }
        for (int l = 0; l < LAYERS; l++) {
            double[][] x = new double[N][20];
            for (int i = 0; i < N; i++) {
                for (int d = 0; d < 20; d++) {
                    x[i][d] = (l == 2 ? random.nextGaussian() : base[i][d] + 0.3 * l * random.nextGaussian()) * (i == 0 ? outlier : 1);
                }
            }
            double[] k = new double[N * N];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    double dot = 0;
                    for (int d = 0; d < 20; d++) {
                        dot += x[i][d] * x[j][d];
                    }
                    k[i * N + j] = dot;
                }
            }
            grams[l] = k;
        }
        return MinibatchHsic.ofBatch(index, N, Hsic.unbiasedMatrix(grams, N));
    }

    private static MinibatchHsic run(long seed, int batches, int outlierBatch) {
        Random random = new Random(seed);
        MinibatchHsic all = MinibatchHsic.empty(LAYERS);
        for (int b = 0; b < batches; b++) {
            all = all.merge(batch(random, b, b == outlierBatch ? 40 : 1));
        }
        return all;
    }

    @Test
    void theJackknifeEqualsRecomputationWithThatBatchRemoved() {
        MinibatchHsic all = run(7, 8, -1);
        BatchInfluence influence = new BatchInfluence(all);
        for (int i = 0; i < LAYERS; i++) {
            for (int j = 0; j < LAYERS; j++) {
                double full = CkaMatrix.fromSums(all.sums())[i][j];
                double low = Double.POSITIVE_INFINITY;
                double high = Double.NEGATIVE_INFINITY;
                double moved = -1;
                int influential = -1;
                double without = Double.NaN;
                for (int leftOut = 0; leftOut < 8; leftOut++) {
                    MinibatchHsic rest = MinibatchHsic.empty(LAYERS);
                    for (var e : all.perBatch().entrySet()) {
                        if (e.getKey() != leftOut) {
                            rest = rest.merge(MinibatchHsic.ofBatch(e.getKey(), all.batchSize(e.getKey()), e.getValue()));
                        }
                    }
                    double loo = CkaMatrix.fromSums(rest.sums())[i][j];
                    low = Math.min(low, loo);
                    high = Math.max(high, loo);
                    if (Math.abs(loo - full) > moved) {
                        moved = Math.abs(loo - full);
                        influential = leftOut;
                        without = loo;
                    }
                }
                BatchInfluence.Jackknife jackknife = influence.jackknife(i, j);
                assertEquals(low, jackknife.low(), 1e-12);
                assertEquals(high, jackknife.high(), 1e-12);
                assertEquals(influential, jackknife.influentialBatch(), i + "," + j);
                assertEquals(without, jackknife.withoutInfluential(), 1e-12);
            }
        }
        assertNull(new BatchInfluence(run(7, 1, -1)).jackknife(0, 1), "one batch: nothing to leave out");
    }

    @Test
    void aPlantedOutlierImageFlagsItsBatchAndOnlyIt() {
        MinibatchHsic all = run(11, 10, 4);
        BatchInfluence influence = new BatchInfluence(all);
        for (int layer = 0; layer < LAYERS; layer++) {
            double[] shares = influence.shares(layer);
            double sum = 0;
            for (int b = 0; b < shares.length; b++) {
                sum += shares[b];
                assertEquals(b == 4, influence.flagged(shares[b]), "layer " + layer + " batch " + b + " share " + shares[b]);
            }
            assertEquals(1, sum, 1e-12, "shares add up to the whole");
        }
        assertEquals(4, influence.jackknife(0, 1).influentialBatch(), "the outlier's batch moves CKA most");
        MinibatchHsic clean = run(11, 10, -1);
        BatchInfluence none = new BatchInfluence(clean);
        for (double share : none.shares(0)) {
            assertFalse(none.flagged(share), "no outlier, no flag: " + share);
        }
    }
}
