package org.ckaatlas.cka;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Per-image channel x channel linear CKA, as the original analysis defines it, for every image of a
 * batch at once, on the activations' device and in their dtype.
 *
 * <p>For one image's layer output A (C x h x w), channel c's map A_c is an h x w matrix whose h rows are
 * the samples and w columns the features; G_c = A_c A_c^T (h x h) is centred, HG_cH, and
 * M[i][j] = <HG_iH, HG_jH> / (||HG_iH|| ||HG_jH||).
 *
 * <p>How: HG_cH = (HA_c)(HA_c)^T, so centring each feature column of A_c over its h samples before the
 * Gram gives the centred Gram directly — no pass over any h x h matrix but the GEMM that reads it. Then
 * one batched Gram (C h^2 w multiply-adds per image) and one batched GEMM over the flattened centred
 * Grams (C^2 h^2), instead of C^2 pairwise evaluations with explicit centring matrices.
 *
 * <p>A channel whose centred Gram is zero — a dead ReLU, a constant map, columns constant over rows —
 * has no CKA: its row and column are NaN. "Zero" is up to rounding:
 * ||HG_cH||_F <= {@value #DEAD_TOLERANCE} x ||A_c||_F^2 (which bounds ||G_c||_F from above).
 */
public final class ChannelCka {
    /** Relative size below which a centred Gram counts as zero (float32 rounding of a constant map). */
    public static final double DEAD_TOLERANCE = 1e-5;

    /**
     * The most the temporaries of one pass may take (the centred maps and their Grams): a batch is
     * taken this many bytes of images at a time, so memory does not grow with the batch, and the
     * allocator reuses the same blocks instead of faulting in fresh pages for every layer.
     */
    private static final long CHUNK_BYTES = 16L << 20;

    private ChannelCka() {}

    /**
     * @param activations (B, C, h, w)
     * @return (B, C, C), in the activations' manager, device and dtype; NaN rows and columns for dead channels
     */
    public static NDArray matrices(NDArray activations) {
        Shape s = activations.getShape();
        long perImage = s.get(1) * s.get(2) * Math.max(s.get(2), s.get(3)) * activations.getDataType().getNumOfBytes();
        long chunk = Math.max(1, CHUNK_BYTES / perImage);
        if (s.get(0) <= chunk) {
            return ofChunk(activations);
        }
        try (NDList parts = new NDList()) {
            for (long from = 0; from < s.get(0); from += chunk) {
                try (NDArray images = activations.get(new NDIndex("{}:{}", from, Math.min(from + chunk, s.get(0))))) {
                    parts.add(ofChunk(images));
                }
            }
            return NDArrays.concat(parts, 0);
        }
    }

    private static NDArray ofChunk(NDArray activations) {
        Shape s = activations.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        try (NDArray columnMeans = activations.mean(new int[] {2}, true);
                NDArray centred = activations.sub(columnMeans);
                NDArray gram = centred.matMul(centred.transpose(0, 1, 3, 2));
                NDArray flat = gram.reshape(b, c, h * h);
                NDArray dots = flat.matMul(flat.transpose(0, 2, 1));
                // ||HG_cH||_F^2 is dots' diagonal, read with a stride instead of masked by an identity
                NDArray squaredNorms = diagonal(dots.reshape(b, c * c), c);
                NDArray norms = squaredNorms.sqrt();
                // ||A_c||_F^2 = ||HA_c||_F^2 + h ||mean||^2, the first being trace(HG_cH): no pass over A
                NDArray traces = diagonal(flat, h).sum(new int[] {2});
                NDArray meanSquares = columnMeans.square().sum(new int[] {2, 3}).muli(h);
                NDArray scale = traces.add(meanSquares);
                NDArray dead = norms.lte(scale.muli(DEAD_TOLERANCE));
                NDArray nan = norms.getManager().full(norms.getShape(), Float.NaN, norms.getDataType());
                NDArray inverse = NDArrays.where(dead, nan, norms.pow(-1))) {
            // M = D^-1/2 dots D^-1/2; a dead channel's NaN spreads along its row and column
            return dots.mul(inverse.expandDims(2)).muli(inverse.expandDims(1));
        }
    }

    /** Every {@code (n+1)}-th entry of the last axis: the diagonals of n x n matrices stored row-major. */
    private static NDArray diagonal(NDArray rowMajor, long n) {
        return rowMajor.get(new NDIndex("..., ::{}", n + 1));
    }

    /** Per-image statistics of one C x C matrix (row-major), as stored in the channel_cka table. */
    public record Summary(int channels, int deadChannels, double meanOffDiagonal) {}

    /**
     * Dead channels are those with a NaN diagonal; the mean runs over off-diagonal entries between
     * live channels (NaN when fewer than two channels live).
     */
    public static Summary summarise(float[] matrix, int offset, int channels) {
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
        return new Summary(channels, dead, count == 0 ? Double.NaN : sum / count);
    }
}
