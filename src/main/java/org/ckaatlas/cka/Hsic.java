package org.ckaatlas.cka;

/**
 * Hilbert-Schmidt Independence Criterion estimators on n x n Gram matrices, float64, row-major.
 *
 * <p>The unbiased estimator (Song et al. 2012) needs n >= 4:
 * HSIC1(K,L) = [ tr(K~L~) + (1'K~1)(1'L~1)/((n-1)(n-2)) - 2/(n-2) 1'K~L~1 ] / (n(n-3)),
 * with K~, L~ the Grams with a zeroed diagonal. It equals <U(K), U(L)> / (n(n-3)) where U is
 * Szekely-Rizzo U-centring, which is how {@link #unbiasedMatrix} gets every pair from one U-centring per Gram.
 */
public final class Hsic {
    /** The smallest batch the unbiased estimator is defined for. */
    public static final int MIN_UNBIASED_N = 4;

    private Hsic() {}

    /**
     * U-centring: zero the diagonal, subtract row and column sums / (n-2), add the grand sum /
     * ((n-1)(n-2)), zero the diagonal again. Returns a new array.
     */
    public static double[] uCentre(double[] gram, int n) {
        requireUnbiasedSize(n);
        checkSquare(gram, n);
        double[] rowSums = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                if (i != j) {
                    s += gram[i * n + j];
                }
            }
            rowSums[i] = s;
            total += s;
        }
        // K~ is symmetric, so column sums equal row sums.
        double grand = total / ((double) (n - 1) * (n - 2));
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j) {
                    u[i * n + j] = gram[i * n + j] - (rowSums[i] + rowSums[j]) / (n - 2) + grand;
                }
            }
        }
        return u;
    }

    /** Unbiased HSIC of two Grams (Song et al. 2012). Requires n >= 4. */
    public static double unbiased(double[] k, double[] l, int n) {
        return dot(uCentre(k, n), uCentre(l, n)) / ((double) n * (n - 3));
    }

    /**
     * Unbiased HSIC of every pair of the given Grams of one batch: entry [i][j] = HSIC1(K_i, K_j).
     * One U-centring per Gram and one dot product per pair, not m^2 pairwise evaluations.
     */
    public static double[][] unbiasedMatrix(double[][] grams, int n) {
        requireUnbiasedSize(n);
        double[][] centred = new double[grams.length][];
        for (int i = 0; i < grams.length; i++) {
            centred[i] = uCentre(grams[i], n);
        }
        return scaledInnerProducts(centred, 1.0 / ((double) n * (n - 3)));
    }

    /** Biased HSIC of every pair of the given Grams of one batch, from one centring per Gram. */
    public static double[][] biasedMatrix(double[][] grams, int n) {
        double[][] centred = new double[grams.length][];
        for (int i = 0; i < grams.length; i++) {
            centred[i] = centre(grams[i], n);
        }
        return scaledInnerProducts(centred, 1.0 / ((double) (n - 1) * (n - 1)));
    }

    /**
     * scale x <v_i, v_j> for all pairs of rows, each pair once. A few dozen dot products of n^2 terms (8 layers
     * at batch 64: 36 of 4,096) take well under a millisecond in plain Java; a BLAS library here cost an
     * executor ~0.8 s of native start-up on its first batch (scripts/bench, --channel-cka off).
     */
    private static double[][] scaledInnerProducts(double[][] rows, double scale) {
        double[][] out = new double[rows.length][rows.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = i; j < rows.length; j++) {
                out[i][j] = scale * dot(rows[i], rows[j]);
                out[j][i] = out[i][j];
            }
        }
        return out;
    }

    /**
     * Biased HSIC (Gretton et al. 2005) as used by the original CKA (Kornblith et al. 2019):
     * <HKH, HLH> / (n-1)^2, centring by row and column means instead of building H.
     */
    public static double biased(double[] k, double[] l, int n) {
        if (n < 2) {
            throw new IllegalArgumentException("biased HSIC needs n >= 2, got " + n);
        }
        return dot(centre(k, n), centre(l, n)) / ((double) (n - 1) * (n - 1));
    }

    /** HKH with H = I - 11'/n, by subtracting row and column means. Returns a new array. */
    public static double[] centre(double[] gram, int n) {
        checkSquare(gram, n);
        double[] rowMeans = new double[n];
        double[] colMeans = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double v = gram[i * n + j];
                rowMeans[i] += v;
                colMeans[j] += v;
                total += v;
            }
        }
        for (int i = 0; i < n; i++) {
            rowMeans[i] /= n;
            colMeans[i] /= n;
        }
        double mean = total / ((double) n * n);
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i * n + j] = gram[i * n + j] - rowMeans[i] - colMeans[j] + mean;
            }
        }
        return c;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void requireUnbiasedSize(int n) {
        if (n < MIN_UNBIASED_N) {
            throw new IllegalArgumentException(
                    "unbiased HSIC needs a batch of at least " + MIN_UNBIASED_N + " images, got " + n);
        }
    }

    private static void checkSquare(double[] gram, int n) {
        if (gram.length != n * n) {
            throw new IllegalArgumentException("Gram has " + gram.length + " entries, expected " + n + " x " + n);
        }
    }
}
