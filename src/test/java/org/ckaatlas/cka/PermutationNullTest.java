package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The permutation null: uniform p-values under independence, the smallest p for a layer against itself. */
class PermutationNullTest {
    private static final int N = 16;

    private static double[] linearGram(double[][] x) {
        double[] k = new double[N * N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double dot = 0;
                for (int d = 0; d < x[i].length; d++) {
                    dot += x[i][d] * x[j][d];
                }
                k[i * N + j] = dot;
            }
        }
        return k;
    }

    private static double[][] features(Random random, int dims) {
        double[][] x = new double[N][dims];
        for (double[] row : x) {
            for (int d = 0; d < dims; d++) {
                row[d] = random.nextGaussian();
            }
        }
        return x;
    }

    /** p(0,1) of one experiment of {@code batches} batches; {@code same}: the second layer is the first. */
    private static double pValue(Random random, int batches, int permutations, boolean same, long seed) {
        MinibatchHsic real = MinibatchHsic.empty(2);
        PermutationNull nulls = null;
        for (int b = 0; b < batches; b++) {
            double[] k = linearGram(features(random, 10));
            double[] l = same ? k : linearGram(features(random, 10));
            double[][] kernels = {k, l};
            real = real.merge(MinibatchHsic.ofBatch(b, N, Hsic.unbiasedMatrix(kernels, N)));
            PermutationNull batch = PermutationNull.ofBatch(kernels, N, permutations, PermutationNull.seed(seed, "global", b));
            nulls = nulls == null ? batch : nulls.plus(batch);
        }
        return nulls.pValues(real.sums())[0][1];
    }

    @Test
    void underIndependentFeaturesPValuesAreUniform() {
        Random random = new Random(2026);
        int experiments = 300;
        double[] p = new double[experiments];
        for (int e = 0; e < experiments; e++) {
            p[e] = pValue(random, 4, 99, false, e);
        }
        Arrays.sort(p);
        // Kolmogorov-Smirnov against U(0, 1); the p-values are discrete in steps of 1/100
        double d = 0;
        for (int i = 0; i < experiments; i++) {
            d = Math.max(d, Math.max(Math.abs((i + 1.0) / experiments - p[i]), Math.abs(p[i] - (double) i / experiments)));
        }
        double critical = 1.36 / Math.sqrt(experiments); // 5% level
        assertTrue(d < critical + 0.01, "KS distance " + d + " (critical " + critical + ")");
    }

    @Test
    void aLayerAgainstItselfHasTheSmallestPValue() {
        double p = pValue(new Random(9), 4, 200, true, 1);
        assertEquals(1.0 / 201, p, 1e-15);
        assertTrue(p < 0.01);
    }

    @Test
    void theSameSeedGivesTheSameNullAndSumsAreOrderFree() {
        Random random = new Random(4);
        double[][] a = {linearGram(features(random, 5)), linearGram(features(random, 5)), linearGram(features(random, 5))};
        double[][] b = {linearGram(features(random, 5)), linearGram(features(random, 5)), linearGram(features(random, 5))};
        PermutationNull na = PermutationNull.ofBatch(a, N, 50, 7);
        PermutationNull nb = PermutationNull.ofBatch(b, N, 50, 8);
        double[][] sums = MinibatchHsic.ofBatch(0, N, Hsic.unbiasedMatrix(a, N))
                .merge(MinibatchHsic.ofBatch(1, N, Hsic.unbiasedMatrix(b, N))).sums();
        assertTrue(Arrays.deepEquals(na.plus(nb).pValues(sums), PermutationNull.ofBatch(a, N, 50, 7).plus(nb).pValues(sums)));
        assertTrue(Arrays.deepEquals(na.plus(nb).pValues(sums), nb.plus(na).pValues(sums)), "either order");
    }
}
