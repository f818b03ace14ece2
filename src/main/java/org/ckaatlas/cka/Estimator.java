package org.ckaatlas.cka;

import java.util.Locale;

/**
 * Which HSIC estimator a CKA is built from. UNBIASED (Song et al. 2012; Nguyen et al. 2021's minibatch
 * CKA) is always computed. BIASED is the original CKA of Kornblith et al. (2019), offered beside it to
 * reproduce older papers; with more features than images it is biased towards 1 (see the tests).
 */
public enum Estimator {
    UNBIASED, BIASED;

    /** How it is written in tables: "unbiased" or "biased". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the valid forms */
    public static Estimator parse(String text) {
        for (Estimator e : values()) {
            if (e.label().equals(text)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown estimator '" + text + "' (known: unbiased, biased)");
    }

    /** HSIC of every pair of one batch's kernel matrices under this estimator. */
    public double[][] hsicMatrix(double[][] kernels, int n) {
        return this == UNBIASED ? Hsic.unbiasedMatrix(kernels, n) : Hsic.biasedMatrix(kernels, n);
    }
}
