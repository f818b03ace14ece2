package org.ckaatlas.render;

import java.util.Arrays;
import java.util.Comparator;
import org.ckaatlas.cka.SymmetricEigen;

/**
 * Orders the rows and columns of a similarity matrix so that similar items sit together: by the Fiedler
 * vector (the eigenvector of the second-smallest eigenvalue) of the graph Laplacian L = D - W, with W the
 * similarities clipped at 0 and undefined (NaN) entries as 0. Undefined items (NaN diagonal: dead
 * channels) go last, in their original order.
 */
final class SpectralOrder {
    private SpectralOrder() {}

    /** @return a permutation: position -> original index */
    static int[] of(float[] matrix, int n) {
        Integer[] live = java.util.stream.IntStream.range(0, n)
                .filter(i -> !Float.isNaN(matrix[i * n + i])).boxed().toArray(Integer[]::new);
        int m = live.length;
        double[] fiedler = new double[m];
        if (m > 2) {
            double[][] laplacian = new double[m][m];
            for (int a = 0; a < m; a++) {
                double degree = 0;
                for (int b = 0; b < m; b++) {
                    if (a != b) {
                        float v = matrix[live[a] * n + live[b]];
                        double w = Float.isNaN(v) ? 0 : Math.max(0, v);
                        laplacian[a][b] = -w;
                        degree += w;
                    }
                }
                laplacian[a][a] = degree;
            }
            fiedler = SymmetricEigen.of(laplacian).vector(1);
        }
        double[] key = fiedler;
        Integer[] order = java.util.stream.IntStream.range(0, m).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> key[i]));
        int[] permutation = new int[n];
        int k = 0;
        for (Integer i : order) {
            permutation[k++] = live[i];
        }
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(matrix[i * n + i])) {
                permutation[k++] = i;
            }
        }
        return permutation;
    }

    /** The matrix with rows and columns permuted. */
    static double[][] apply(float[] matrix, int n, int[] permutation) {
        double[][] out = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                out[a][b] = matrix[permutation[a] * n + permutation[b]];
            }
        }
        return out;
    }
}
