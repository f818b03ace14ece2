package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class HsicTest {
    @ParameterizedTest
    @CsvSource({"4, 3", "7, 50", "16, 5", "33, 200"})
    void unbiasedAgreesWithSongEtAlTermByTerm(int n, int d) {
        Random random = new Random(n * 31L + d);
        double[] k = Reference.gram(Reference.gaussian(random, n, d));
        double[] l = Reference.gram(Reference.gaussian(random, n, d + 3));
        double expected = Reference.unbiasedHsic(k, l, n);
        assertEquals(expected, Hsic.unbiased(k, l, n), 1e-9 * Math.abs(expected) + 1e-12);
    }

    @Test
    void allPairsFromOneGemmEqualPairwise() {
        int n = 12;
        Random random = new Random(7);
        double[][] grams = new double[5][];
        for (int i = 0; i < grams.length; i++) {
            grams[i] = Reference.gram(Reference.gaussian(random, n, 10 + 7 * i));
        }
        double[][] all = Hsic.unbiasedMatrix(grams, n);
        for (int i = 0; i < grams.length; i++) {
            for (int j = 0; j < grams.length; j++) {
                double expected = Reference.unbiasedHsic(grams[i], grams[j], n);
                assertEquals(expected, all[i][j], 1e-9 * Math.abs(expected) + 1e-12, "pair " + i + "," + j);
            }
        }
    }

    @Test
    void biasedAgreesWithExplicitCentringMatrices() {
        int n = 9;
        Random random = new Random(3);
        double[][] x = Reference.gaussian(random, n, 20);
        double[][] y = Reference.gaussian(random, n, 4);
        double[] k = Reference.gram(x);
        double[] l = Reference.gram(y);
        double expected = Reference.frobenius(Reference.centreExplicitly(k, n), Reference.centreExplicitly(l, n))
                / ((n - 1.0) * (n - 1.0));
        assertEquals(expected, Hsic.biased(k, l, n), 1e-9 * Math.abs(expected));
    }

    @Test
    void batchesUnderFourImagesAreRefused() {
        double[] k = Reference.gram(Reference.gaussian(new Random(1), 3, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hsic.unbiased(k, k, 3));
        assertTrue(e.getMessage().contains("at least 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Hsic.unbiasedMatrix(new double[][] {k}, 3));
    }
}
