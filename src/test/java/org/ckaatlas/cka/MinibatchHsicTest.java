package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class MinibatchHsicTest {
    private static final int N = 16;
    private static final int BATCHES = 6;

    /** Minibatch CKA between X and transform(X) (and X with itself), batch by batch. */
    private static CkaMatrix cka(long seed, int d, UnaryOperator<double[][]> transform) {
        Random random = new Random(seed);
        MinibatchHsic acc = MinibatchHsic.empty(2);
        for (int b = 0; b < BATCHES; b++) {
            double[][] x = Reference.gaussian(random, N, d);
            double[][] grams = {Reference.gram(x), Reference.gram(transform.apply(x))};
            acc = acc.merge(MinibatchHsic.ofBatch(b, N, Hsic.unbiasedMatrix(grams, N)));
        }
        return acc.cka(200, 1);
    }

    @Test
    void ckaOfARepresentationWithItselfIsOne() {
        CkaMatrix m = cka(1, 30, x -> x);
        assertEquals(1.0, m.get(0, 0), 1e-12);
        assertEquals(1.0, m.get(0, 1), 1e-9);
    }

    @Test
    void symmetric() {
        CkaMatrix m = cka(2, 30, x -> mixFeatures(x, new Random(5)));
        assertEquals(m.get(0, 1), m.get(1, 0), 1e-15);
    }

    @Test
    void invariantToIsotropicScaling() {
        CkaMatrix m = cka(3, 25, x -> scale(x, 37.5));
        assertEquals(1.0, m.get(0, 1), 1e-9);
    }

    @Test
    void invariantToOrthogonalTransforms() {
        double[][] q = randomOrthogonal(25, new Random(11));
        CkaMatrix m = cka(4, 25, x -> Reference.multiply(x, q));
        assertEquals(1.0, m.get(0, 1), 1e-9);
    }

    @Test
    void singleFeatureLinearCkaIsSquaredPearsonCorrelation() {
        Random random = new Random(9);
        int n = 40;
        double[][] x = new double[n][1];
        double[][] y = new double[n][1];
        for (int i = 0; i < n; i++) {
            x[i][0] = random.nextGaussian();
            y[i][0] = 0.6 * x[i][0] + random.nextGaussian();
        }
        double r = pearson(x, y);
        double[] k = Reference.gram(x);
        double[] l = Reference.gram(y);
        double cka = Hsic.biased(k, l, n) / Math.sqrt(Hsic.biased(k, k, n) * Hsic.biased(l, l, n));
        assertEquals(r * r, cka, 1e-12);
        assertEquals(Reference.linearCka(x, y), cka, 1e-12);
    }

    @Test
    void unbiasedCkaOfIndependentFeaturesIsNearZeroWhereBiasedIsNot() {
        int n = 64;
        int d = 10_000;
        Random random = new Random(2021);
        MinibatchHsic acc = MinibatchHsic.empty(2);
        double biasedFirstBatch = Double.NaN;
        for (int b = 0; b < 8; b++) {
            double[] k = Reference.gram(Reference.gaussian(random, n, d));
            double[] l = Reference.gram(Reference.gaussian(random, n, d));
            acc = acc.merge(MinibatchHsic.ofBatch(b, n, Hsic.unbiasedMatrix(new double[][] {k, l}, n)));
            if (b == 0) {
                biasedFirstBatch = Hsic.biased(k, l, n) / Math.sqrt(Hsic.biased(k, k, n) * Hsic.biased(l, l, n));
            }
        }
        double unbiased = acc.cka(0, 0).get(0, 1);
        assertTrue(Math.abs(unbiased) < 0.03, "unbiased minibatch CKA of independent features: " + unbiased);
        assertTrue(biasedFirstBatch > 0.9, "biased CKA of one batch: " + biasedFirstBatch);
    }

    @Test
    void mergingInAnyOrderAndGroupingGivesIdenticalNumbers() {
        Random random = new Random(4);
        List<MinibatchHsic> parts = new ArrayList<>();
        for (int b = 0; b < 9; b++) {
            double[][] grams = {
                Reference.gram(Reference.gaussian(random, N, 12)), Reference.gram(Reference.gaussian(random, N, 7))};
            parts.add(MinibatchHsic.ofBatch(b, N, Hsic.unbiasedMatrix(grams, N)));
        }
        CkaMatrix onePass = parts.stream().reduce(MinibatchHsic.empty(2), MinibatchHsic::merge).cka(100, 3);
        Collections.shuffle(parts, new Random(77));
        MinibatchHsic left = parts.subList(0, 4).stream().reduce(MinibatchHsic.empty(2), MinibatchHsic::merge);
        MinibatchHsic right = parts.subList(4, 9).stream().reduce(MinibatchHsic.empty(2), (a, b) -> b.merge(a));
        CkaMatrix grouped = right.merge(left).cka(100, 3);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                assertEquals(onePass.get(i, j), grouped.get(i, j), 0.0);
                assertEquals(onePass.low(i, j), grouped.low(i, j), 0.0);
                assertEquals(onePass.high(i, j), grouped.high(i, j), 0.0);
            }
        }
        assertEquals(9, grouped.batches());
        assertEquals(9L * N, grouped.images());
    }

    @Test
    void aBatchCountedTwiceIsRefused() {
        double[][] hsic = {{1, 0.5}, {0.5, 1}};
        MinibatchHsic one = MinibatchHsic.ofBatch(3, 8, hsic);
        assertThrows(IllegalArgumentException.class, () -> one.merge(MinibatchHsic.ofBatch(3, 8, hsic)));
        assertThrows(IllegalArgumentException.class, () -> MinibatchHsic.ofBatch(0, 3, hsic));
    }

    @Test
    void allZeroFeaturesGiveNanWithAReasonNotZero() {
        Random random = new Random(6);
        MinibatchHsic acc = MinibatchHsic.empty(2);
        for (int b = 0; b < 3; b++) {
            double[][] grams = {Reference.gram(Reference.gaussian(random, N, 10)), new double[N * N]};
            acc = acc.merge(MinibatchHsic.ofBatch(b, N, Hsic.unbiasedMatrix(grams, N)));
        }
        CkaMatrix m = acc.cka(50, 1);
        assertEquals(1.0, m.get(0, 0), 1e-12);
        assertTrue(Double.isNaN(m.get(0, 1)));
        assertTrue(Double.isNaN(m.get(1, 1)));
        assertNull(m.reason(0));
        assertNotNull(m.reason(1));
    }

    @Test
    void bootstrapIntervalBracketsTheEstimateAndNeedsTwoBatches() {
        CkaMatrix m = cka(8, 20, x -> mixFeatures(x, new Random(2)));
        assertTrue(m.hasInterval());
        assertTrue(m.low(0, 1) <= m.get(0, 1) && m.get(0, 1) <= m.high(0, 1),
                m.low(0, 1) + " <= " + m.get(0, 1) + " <= " + m.high(0, 1));
        CkaMatrix single = MinibatchHsic.ofBatch(0, 8, new double[][] {{1, 0.5}, {0.5, 1}}).cka(100, 1);
        assertFalse(single.hasInterval());
        assertThrows(IllegalStateException.class, () -> MinibatchHsic.empty(2).cka(10, 1));
    }

    @Test
    void perBatchValuesAreKeptInBatchOrder() {
        MinibatchHsic acc = MinibatchHsic.ofBatch(5, 4, new double[][] {{2}})
                .merge(MinibatchHsic.ofBatch(1, 6, new double[][] {{3}}));
        assertArrayEquals(new Integer[] {1, 5}, acc.perBatch().keySet().toArray(new Integer[0]));
        assertEquals(5.0, acc.sums()[0][0]);
        assertEquals(10L, acc.imageCount());
    }

    private static double pearson(double[][] x, double[][] y) {
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i][0] / n;
            my += y[i][0] / n;
        }
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i][0] - mx) * (y[i][0] - my);
            sxx += (x[i][0] - mx) * (x[i][0] - mx);
            syy += (y[i][0] - my) * (y[i][0] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static double[][] scale(double[][] x, double s) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i].clone();
            for (int j = 0; j < y[i].length; j++) {
                y[i][j] *= s;
            }
        }
        return y;
    }

    /** A fixed random linear map of the features (not orthogonal): CKA below 1, but a valid input. */
    private static double[][] mixFeatures(double[][] x, Random random) {
        double[][] w = Reference.gaussian(random, x[0].length, 3);
        return Reference.multiply(x, w);
    }

    /** Gram-Schmidt on a random Gaussian matrix. */
    private static double[][] randomOrthogonal(int d, Random random) {
        double[][] q = Reference.gaussian(random, d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                double dot = 0;
                for (int k = 0; k < d; k++) {
                    dot += q[i][k] * q[j][k];
                }
                for (int k = 0; k < d; k++) {
                    q[i][k] -= dot * q[j][k];
                }
            }
            double norm = 0;
            for (int k = 0; k < d; k++) {
                norm += q[i][k] * q[i][k];
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < d; k++) {
                q[i][k] /= norm;
            }
        }
        return q;
    }
}
