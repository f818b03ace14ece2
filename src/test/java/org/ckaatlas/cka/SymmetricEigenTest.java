package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Eigenpairs of symmetric matrices: A v = lambda v, ascending, the same from several threads at once. */
class SymmetricEigenTest {
    private static double[][] randomSymmetric(int n, long seed) {
        Random random = new Random(seed);
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                m[i][j] = m[j][i] = random.nextGaussian();
            }
        }
        return m;
    }

    @Test
    void eigenpairsSatisfyTheirEquationInAscendingOrder() {
        double[][] a = randomSymmetric(12, 1);
        SymmetricEigen.Decomposition d = SymmetricEigen.of(a);
        for (int k = 0; k < 12; k++) {
            if (k > 0) {
                assertEquals(true, d.values()[k] >= d.values()[k - 1], "ascending");
            }
            double[] v = d.vector(k);
            double norm = 0;
            for (int i = 0; i < 12; i++) {
                double av = 0;
                for (int j = 0; j < 12; j++) {
                    av += a[i][j] * v[j];
                }
                assertEquals(d.values()[k] * v[i], av, 1e-9, "A v = lambda v, pair " + k);
                norm += v[i] * v[i];
            }
            assertEquals(1, norm, 1e-9);
        }
        assertArrayEquals(d.values(), SymmetricEigen.values(a), 1e-12);
        assertArrayEquals(new double[] {1, 3}, SymmetricEigen.values(new double[][] {{2, 1}, {1, 2}}), 1e-12);
    }

    @Test
    void callsFromManyThreadsAtOnceAgreeWithOneThread() throws Exception {
        List<double[][]> matrices = new ArrayList<>();
        for (int s = 0; s < 8; s++) {
            matrices.add(randomSymmetric(64, s));
        }
        List<double[]> alone = matrices.stream().map(SymmetricEigen::values).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4); // as executors' reduce tasks call it
        try {
            List<Future<double[]>> together = new ArrayList<>();
            for (int round = 0; round < 25; round++) {
                for (double[][] m : matrices) {
                    together.add(pool.submit(() -> SymmetricEigen.values(m)));
                }
            }
            for (int i = 0; i < together.size(); i++) {
                assertArrayEquals(alone.get(i % matrices.size()), together.get(i).get(), 0, "call " + i);
            }
        } finally {
            pool.shutdown();
        }
    }
}
