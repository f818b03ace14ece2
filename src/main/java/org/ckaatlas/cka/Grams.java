package org.ckaatlas.cka;

import ai.djl.ndarray.NDArray;

/** Gram matrices on the activations' device, in the activations' dtype. */
public final class Grams {
    private Grams() {}

    /**
     * The linear Gram K = X X^T of a batch of activations.
     *
     * @param activations (n, ...) — each image's activation is flattened to one row of X
     * @return (n, n), on the same device and manager as {@code activations}
     */
    public static NDArray linear(NDArray activations) {
        long n = activations.getShape().get(0);
        try (NDArray x = activations.reshape(n, -1)) {
            return x.matMul(x.transpose());
        }
    }
}
