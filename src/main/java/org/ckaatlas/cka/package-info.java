/**
 * The mathematics of Centered Kernel Alignment, with no Spark in it.
 *
 * <p>Notation follows DESIGN.md: a layer's activations for n images flattened to X (n x D), its Gram
 * K = X X^T. Grams are computed on the activations' device in their dtype ({@link Grams}); everything
 * after that is float64 on the host: {@link Hsic} (biased and unbiased HSIC, all layer pairs of a batch
 * from one dot product per pair), {@link MinibatchHsic} (the Nguyen et al. 2021 accumulator, mergeable in any grouping)
 * and {@link CkaMatrix} (finalised CKA with bootstrap intervals).
 *
 * <p>Undefined values are NaN, never clamped or patched: a zero-variance representation has no CKA.
 */
package org.ckaatlas.cka;
