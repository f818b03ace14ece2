package org.ckaatlas.cka;

/**
 * Finalised CKA between m representations: a symmetric m x m matrix with 1 on the diagonal of every
 * defined representation, and its bootstrap interval where there were at least 2 batches.
 *
 * <p>A representation whose summed self-HSIC is not positive (all-zero or constant features, or an
 * estimate that noise drove below zero) has no CKA: its row and column are NaN. See {@link #reason}.
 */
public final class CkaMatrix {
    private final double[][] cka;
    private final double[][] low;
    private final double[][] high;
    private final int batches;
    private final long images;

    CkaMatrix(double[][] cka, double[][] low, double[][] high, int batches, long images) {
        this.cka = cka;
        this.low = low;
        this.high = high;
        this.batches = batches;
        this.images = images;
    }

    /** CKA(i,j) = S_ij / sqrt(S_ii S_jj), NaN where S_ii or S_jj is not positive. */
    public static double[][] fromSums(double[][] s) {
        int m = s.length;
        double[][] out = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                out[i][j] = cka(s[i][j], s[i][i], s[j][j]);
            }
        }
        return out;
    }

    /** One entry: S_ij / sqrt(S_ii S_jj), NaN where S_ii or S_jj is not positive. */
    public static double cka(double sij, double sii, double sjj) {
        return defined(sii) && defined(sjj) ? sij / Math.sqrt(sii * sjj) : Double.NaN;
    }

    private static boolean defined(double selfHsic) {
        return selfHsic > 0 && Double.isFinite(selfHsic);
    }

    public int size() {
        return cka.length;
    }

    public double get(int i, int j) {
        return cka[i][j];
    }

    public boolean hasInterval() {
        return low != null;
    }

    /** Lower end of the 95% bootstrap interval. @throws IllegalStateException without one */
    public double low(int i, int j) {
        requireInterval();
        return low[i][j];
    }

    public double high(int i, int j) {
        requireInterval();
        return high[i][j];
    }

    public int batches() {
        return batches;
    }

    public long images() {
        return images;
    }

    /** Why representation i has no CKA, or null when it has one. */
    public String reason(int i) {
        return Double.isNaN(cka[i][i]) ? "zero or negative HSIC with itself: the representation has no variance across images" : null;
    }

    private void requireInterval() {
        if (low == null) {
            throw new IllegalStateException("no bootstrap interval: fewer than 2 batches");
        }
    }
}
