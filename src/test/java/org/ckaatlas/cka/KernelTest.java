package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KernelTest {
    private static final int N = 12;

    @Test
    void parsesTheDocumentedForms() {
        assertEquals(new Kernel.Linear(), Kernel.parse("linear"));
        assertEquals(new Kernel.Rbf(1.0), Kernel.parse("rbf"));
        assertEquals(new Kernel.Rbf(0.4), Kernel.parse("RBF:0.4"));
        for (String bad : new String[] {"poly", "rbf:0", "rbf:-1", "rbf:x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernel.parse(bad));
            assertTrue(e.getMessage().contains("linear, rbf"), e.getMessage());
        }
    }

    @Test
    void rbfIsKornbliths() {
        double[][] x = Reference.gaussian(new Random(1), N, 6);
        double[] k = new Kernel.Rbf(0.5).apply(Reference.gram(x), N);
        double[] d2 = new double[N * N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int f = 0; f < 6; f++) {
                    s += (x[i][f] - x[j][f]) * (x[i][f] - x[j][f]);
                }
                d2[i * N + j] = s;
            }
        }
        double[] sorted = d2.clone();
        java.util.Arrays.sort(sorted);
        double median = 0.5 * (sorted[N * N / 2 - 1] + sorted[N * N / 2]);
        for (int i = 0; i < N * N; i++) {
            assertEquals(Math.exp(-d2[i] / (2 * 0.25 * median)), k[i], 1e-12);
        }
    }

    @Test
    void rbfCkaIsOneWithItselfAndInvariantToScaleAndRotation() {
        Random random = new Random(2);
        Kernel rbf = new Kernel.Rbf(1.0);
        MinibatchHsic acc = MinibatchHsic.empty(3);
        double[][] q = {{0, -1, 0}, {1, 0, 0}, {0, 0, 1}};
        for (int b = 0; b < 4; b++) {
            double[][] x = Reference.gaussian(random, N, 3);
            double[][] scaled = new double[N][3];
            for (int i = 0; i < N; i++) {
                for (int f = 0; f < 3; f++) {
                    scaled[i][f] = 9 * x[i][f];
                }
            }
            double[][] kernels = {
                rbf.apply(Reference.gram(x), N), rbf.apply(Reference.gram(scaled), N),
                rbf.apply(Reference.gram(Reference.multiply(x, q)), N)};
            acc = acc.merge(MinibatchHsic.ofBatch(b, N, Hsic.unbiasedMatrix(kernels, N)));
        }
        CkaMatrix m = acc.cka(0, 0);
        assertEquals(1.0, m.get(0, 0), 1e-12);
        assertEquals(1.0, m.get(0, 1), 1e-9);
        assertEquals(1.0, m.get(0, 2), 1e-9);
    }

    @Test
    void identicalImagesHaveNoRbfKernel() {
        double[] k = new Kernel.Rbf(1.0).apply(new double[N * N], N);
        assertTrue(Double.isNaN(k[1]));
    }

    @Test
    void biasedMatrixEqualsPairwiseBiased() {
        Random random = new Random(3);
        double[][] grams = {Reference.gram(Reference.gaussian(random, N, 5)), Reference.gram(Reference.gaussian(random, N, 30))};
        double[][] all = Estimator.BIASED.hsicMatrix(grams, N);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double expected = Hsic.biased(grams[i], grams[j], N);
                assertEquals(expected, all[i][j], 1e-9 * Math.abs(expected));
            }
        }
    }
}
