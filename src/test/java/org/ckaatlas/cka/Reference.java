package org.ckaatlas.cka;

import java.util.Random;

/** Slow, obvious float64 references, written straight from the formulas, for the tests to hold the core to. */
final class Reference {
    private Reference() {}

    /**
     * One image's channel summary, pair by pair: dead channels are those with a NaN diagonal; the mean
     * runs over off-diagonal entries between live channels (NaN when fewer than two channels live).
     */
    static ChannelCka.Summary channelSummary(float[] matrix, int offset, int channels) {
        int dead = 0;
        boolean[] live = new boolean[channels];
        for (int i = 0; i < channels; i++) {
            live[i] = !Float.isNaN(matrix[offset + i * channels + i]);
            dead += live[i] ? 0 : 1;
        }
        double sum = 0;
        long count = 0;
        for (int i = 0; i < channels; i++) {
            for (int j = 0; j < channels; j++) {
                if (i != j && live[i] && live[j]) {
                    sum += matrix[offset + i * channels + j];
                    count++;
                }
            }
        }
        return new ChannelCka.Summary(channels, dead, count == 0 ? Double.NaN : sum / count);
    }

    /** K = X X^T, X given as n rows of features. */
    static double[] gram(double[][] x) {
        int n = x.length;
        double[] k = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int d = 0; d < x[i].length; d++) {
                    s += x[i][d] * x[j][d];
                }
                k[i * n + j] = s;
            }
        }
        return k;
    }

    /** Song et al. 2012, term by term, with K~ and L~ the Grams with zeroed diagonals. */
    static double unbiasedHsic(double[] k, double[] l, int n) {
        double[][] kt = zeroDiagonal(k, n);
        double[][] lt = zeroDiagonal(l, n);
        double trace = 0;
        double sumK = 0;
        double sumL = 0;
        double oneKLone = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                trace += kt[i][j] * lt[j][i];
                sumK += kt[i][j];
                sumL += lt[i][j];
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double kl = 0;
                for (int m = 0; m < n; m++) {
                    kl += kt[i][m] * lt[m][j];
                }
                oneKLone += kl;
            }
        }
        return (trace + sumK * sumL / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * oneKLone) / (n * (n - 3.0));
    }

    /** The original analysis: explicit H = I - 11'/n, HKH by two matrix products, then <HKH, HLH>. */
    static double linearCka(double[][] x, double[][] y) {
        int n = x.length;
        double[][] hkh = centreExplicitly(gram(x), n);
        double[][] hlh = centreExplicitly(gram(y), n);
        return frobenius(hkh, hlh) / Math.sqrt(frobenius(hkh, hkh) * frobenius(hlh, hlh));
    }

    static double[][] centreExplicitly(double[] k, int n) {
        double[][] h = new double[n][n];
        double[][] km = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                h[i][j] = (i == j ? 1 : 0) - 1.0 / n;
                km[i][j] = k[i * n + j];
            }
        }
        return multiply(multiply(h, km), h);
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        double[][] c = new double[n][b[0].length];
        for (int i = 0; i < n; i++) {
            for (int m = 0; m < b.length; m++) {
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += a[i][m] * b[m][j];
                }
            }
        }
        return c;
    }

    static double frobenius(double[][] a, double[][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                s += a[i][j] * b[i][j];
            }
        }
        return s;
    }

    static double[][] gaussian(Random random, int n, int d) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return x;
    }

    private static double[][] zeroDiagonal(double[] k, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = i == j ? 0 : k[i * n + j];
            }
        }
        return m;
    }
}
