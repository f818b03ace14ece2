package org.ckaatlas.cka;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * The kernel a layer's representation is compared through, applied to its linear Gram K = X X^T of one
 * batch: {@code linear} (K itself) or {@code rbf[:F]}, Kornblith et al. (2019)'s RBF kernel
 * exp(-d_ij^2 / (2 sigma^2)) with d_ij^2 = K_ii + K_jj - 2 K_ij and sigma = F x the median distance of
 * the batch (sigma^2 = F^2 x the median of all n^2 squared distances, as their code takes it).
 */
public sealed interface Kernel extends Serializable permits Kernel.Linear, Kernel.Rbf {
    /** @return the n x n kernel matrix (a new array; the input is not changed) */
    double[] apply(double[] linearGram, int n);

    /** @throws IllegalArgumentException naming the valid forms */
    static Kernel parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("linear")) {
            return new Linear();
        }
        if (t.equals("rbf")) {
            return new Rbf(1.0);
        }
        if (t.startsWith("rbf:")) {
            try {
                double f = Double.parseDouble(t.substring(4));
                if (f > 0 && Double.isFinite(f)) {
                    return new Rbf(f);
                }
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("unknown kernel '" + text + "' (known: linear, rbf, rbf:F with F > 0)");
    }

    record Linear() implements Kernel {
        @Override
        public double[] apply(double[] linearGram, int n) {
            return linearGram.clone();
        }

        @Override
        public String toString() {
            return "linear";
        }
    }

    /** @param bandwidth F: sigma as a multiple of the batch's median distance */
    record Rbf(double bandwidth) implements Kernel {
        @Override
        public double[] apply(double[] k, int n) {
            double[] d2 = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    d2[i * n + j] = k[i * n + i] + k[j * n + j] - 2 * k[i * n + j];
                }
            }
            double[] sorted = d2.clone();
            Arrays.sort(sorted);
            int m = sorted.length;
            double median = m % 2 == 1 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
            // all images identical: no scale to measure distances by, so the kernel is undefined
            double scale = median > 0 ? 2 * bandwidth * bandwidth * median : Double.NaN;
            double[] out = new double[n * n];
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.exp(-d2[i] / scale);
            }
            return out;
        }

        @Override
        public String toString() {
            return "rbf:" + bandwidth;
        }
    }
}
