package org.ckaatlas.cka;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A permutation null for minibatch CKA. It tests whether two representations of the same images align
 * better than the same representations of images paired at random: in every batch, the second
 * layer's Gram is permuted (rows and columns together), R times with seeded permutations, and the
 * permuted unbiased HSIC is summed over batches exactly as the real one. Self-HSIC does not change
 * under a permutation, so the r-th null CKA is sum_b HSIC1(K_i, P_br K_j P_br^T) / sqrt(S_ii S_jj), and
 * p(i,j) = (1 + #{r : null_r >= CKA}) / (R + 1).
 *
 * <p>U-centring commutes with a permutation, so each permuted HSIC is one dot product of two U-centred
 * Grams, the second read through the permutation: R x m x n^2 to permute and R x m(m-1)/2 dot products
 * of length n^2 per batch. The sums are an immutable, mergeable value per scope.
 */
public final class PermutationNull implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int size;
    /** [r][pair]: summed permuted HSIC of pair (i < j), packed row by row. */
    private final double[][] sums;

    private PermutationNull(int size, double[][] sums) {
        this.size = size;
        this.sums = sums;
    }

    public static int pairs(int m) {
        return m * (m - 1) / 2;
    }

    private static int pair(int i, int j, int m) {
        return i * m - i * (i + 1) / 2 + (j - i - 1);
    }

    /**
     * One batch's R permuted HSIC matrices (pairs i < j).
     *
     * @param kernels the batch's m kernel matrices, n x n row-major (as its real HSIC uses them)
     * @param seed fixes the permutations: the same batch gets the same ones in every run
     */
    public static PermutationNull ofBatch(double[][] kernels, int n, int permutations, long seed) {
        int m = kernels.length;
        double[][] centred = new double[m][];
        for (int i = 0; i < m; i++) {
            centred[i] = Hsic.uCentre(kernels[i], n);
        }
        double scale = 1.0 / ((double) n * (n - 3));
        double[][] sums = new double[permutations][pairs(m)];
        SplittableRandom random = new SplittableRandom(seed);
        int[] pi = new int[n];
        double[] permuted = new double[n * n];
        for (int r = 0; r < permutations; r++) {
            shuffle(pi, random);
            for (int j = 1; j < m; j++) {
                double[] l = centred[j];
                for (int a = 0; a < n; a++) {
                    int row = pi[a] * n;
                    for (int b = 0; b < n; b++) {
                        permuted[a * n + b] = l[row + pi[b]];
                    }
                }
                for (int i = 0; i < j; i++) {
                    double[] k = centred[i];
                    double dot = 0;
                    for (int e = 0; e < n * n; e++) {
                        dot += k[e] * permuted[e];
                    }
                    sums[r][pair(i, j, m)] = dot * scale;
                }
            }
        }
        return new PermutationNull(m, sums);
    }

    private static void shuffle(int[] pi, SplittableRandom random) {
        for (int a = 0; a < pi.length; a++) {
            pi[a] = a;
        }
        for (int a = pi.length - 1; a > 0; a--) {
            int b = random.nextInt(a + 1);
            int t = pi[a];
            pi[a] = pi[b];
            pi[b] = t;
        }
    }

    /** The seed of one batch's permutations: the run's seed, the scope and the batch. */
    public static long seed(long runSeed, String scope, int batch) {
        long h = runSeed * 0x9E3779B97F4A7C15L + scope.hashCode();
        return h * 0xBF58476D1CE4E5B9L + batch;
    }

    /** The sums over both sets of batches. */
    public PermutationNull plus(PermutationNull other) {
        if (other.sums.length != sums.length || other.size != size) {
            throw new IllegalArgumentException("different permutation counts or sizes");
        }
        double[][] out = new double[sums.length][];
        for (int r = 0; r < sums.length; r++) {
            out[r] = sums[r].clone();
            for (int p = 0; p < out[r].length; p++) {
                out[r][p] += other.sums[r][p];
            }
        }
        return new PermutationNull(size, out);
    }

    public int permutations() {
        return sums.length;
    }

    /**
     * p-values of the real CKA against the null, with the +1 correction; NaN on the diagonal and where
     * CKA is undefined.
     *
     * @param hsicSums the real summed HSIC (its diagonal normalises the null draws)
     */
    public double[][] pValues(double[][] hsicSums) {
        double[][] p = new double[size][size];
        for (int i = 0; i < size; i++) {
            p[i][i] = Double.NaN;
            for (int j = i + 1; j < size; j++) {
                double real = CkaMatrix.cka(hsicSums[i][j], hsicSums[i][i], hsicSums[j][j]);
                double value = Double.NaN;
                if (!Double.isNaN(real)) {
                    int atLeast = 0;
                    for (double[] draw : sums) {
                        if (CkaMatrix.cka(draw[pair(i, j, size)], hsicSums[i][i], hsicSums[j][j]) >= real) {
                            atLeast++;
                        }
                    }
                    value = (1.0 + atLeast) / (sums.length + 1.0);
                }
                p[i][j] = value;
                p[j][i] = value;
            }
        }
        return p;
    }
}
