package org.ckaatlas.cka;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
 * Grams (C^2 h^2), instead of C^2 pairwise evaluations with explicit centring matrices. Both run at 3/4
 * of that for tall maps, where the Grams are taken in row halves (from SPLIT_ROWS rows up).
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

    /**
     * From this many rows up, the Grams are taken in row halves: there the first product is large and
     * saving its quarter pays for the third small product (conv1-conv4 of VGG11 at 224; scripts/bench-cka).
     */
    private static final long SPLIT_ROWS = 32;

    private ChannelCka() {}

    /**
     * @param activations (B, C, h, w)
     * @return (B, C, C), in the activations' manager, device and dtype; NaN rows and columns for dead channels
     */
    public static NDArray matrices(NDArray activations) {
        return matrices(activations, SPLIT_ROWS);
    }

    /** As {@link #matrices(NDArray)}, taking the Grams in row halves from {@code splitRows} rows up. */
    static NDArray matrices(NDArray activations, long splitRows) {
        Shape s = activations.getShape();
        long perImage = s.get(1) * s.get(2) * Math.max(s.get(2), s.get(3)) * activations.getDataType().getNumOfBytes();
        long chunk = Math.max(1, CHUNK_BYTES / perImage);
        if (s.get(0) <= chunk) {
            return ofChunk(activations, splitRows);
        }
        try (NDList parts = new NDList()) {
            for (long from = 0; from < s.get(0); from += chunk) {
                try (NDArray images = activations.get(new NDIndex("{}:{}", from, Math.min(from + chunk, s.get(0))))) {
                    parts.add(ofChunk(images, splitRows));
                }
            }
            return NDArrays.concat(parts, 0);
        }
    }

    private static NDArray ofChunk(NDArray activations, long splitRows) {
        Shape s = activations.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        NDManager caller = activations.getManager();
        // every intermediate lives in this scope and is freed with it; only the result goes back
        try (NDManager scope = caller.newSubManager()) {
            activations.tempAttach(scope);
            NDArray columnMeans = activations.mean(new int[] {2}, true);
            NDArray centred = activations.sub(columnMeans);
            NDArray dots;
            NDArray traces;
            if (h >= splitRows) {
                // rows in two halves: G = [G11 G12; G12^T G22], so <G_i, G_j> = <G11_i, G11_j> + 2 <G12_i, G12_j>
                // + <G22_i, G22_j>. G's symmetric quarter is never computed: 3/4 of both products' FLOPs
                long a = h / 2;
                NDArray top = centred.get(new NDIndex(":, :, :{}", a));
                NDArray bottom = centred.get(new NDIndex(":, :, {}:", a));
                NDArray g11 = flatGram(top, top, b, c);
                NDArray g12 = flatGram(top, bottom, b, c);
                NDArray g22 = flatGram(bottom, bottom, b, c);
                dots = dotsOf(g11).addi(dotsOf(g12).muli(2)).addi(dotsOf(g22));
                traces = diagonal(g11, a).sum(new int[] {2}).addi(diagonal(g22, h - a).sum(new int[] {2}));
            } else {
                NDArray flat = flatGram(centred, centred, b, c);
                dots = dotsOf(flat);
                traces = diagonal(flat, h).sum(new int[] {2});
            }
            // ||HG_cH||_F is the root of dots' diagonal, read with a stride
            NDArray norms = diagonal(dots.reshape(b, c * c), c).sqrt();
            // ||A_c||_F^2 = ||HA_c||_F^2 + h ||column means||^2, the first being trace(HG_cH): no pass over A
            NDArray scale = traces.addi(columnMeans.square().sum(new int[] {2, 3}).muli(h));
            NDArray dead = norms.lte(scale.muli(DEAD_TOLERANCE));
            NDArray inverse = NDArrays.where(dead, scope.full(norms.getShape(), Float.NaN, norms.getDataType()), norms.pow(-1));
            // M = D^-1/2 dots D^-1/2, in place; a dead channel's NaN spreads along its row and column
            dots.muli(inverse.expandDims(2)).muli(inverse.expandDims(1));
            dots.attach(caller);
            return dots;
        }
    }

    /** X Y^T of each image's channel maps, flattened: (B, C, rows of X x rows of Y). */
    private static NDArray flatGram(NDArray x, NDArray y, long b, long c) {
        return x.matMul(y.transpose(0, 1, 3, 2)).reshape(b, c, -1);
    }

    /** The (B, C, C) inner products of flattened Grams. */
    private static NDArray dotsOf(NDArray flat) {
        return flat.matMul(flat.transpose(0, 2, 1));
    }

    /** Every {@code (n+1)}-th entry of the last axis: the diagonals of n x n matrices stored row-major. */
    private static NDArray diagonal(NDArray rowMajor, long n) {
        return rowMajor.get(new NDIndex("..., ::{}", n + 1));
    }

    /** Per-image statistics of one C x C matrix (row-major), as stored in the channel_cka table. */
    public record Summary(int channels, int deadChannels, double meanOffDiagonal) {}

    /**
     * What the tables need of a batch's matrices: each image's {@link Summary} and, when asked for, the
     * entry-wise sums and counts of the non-NaN values over the images (a channel mean's increment).
     *
     * @param summaries one per image, in order
     * @param sums null unless asked for; row-major C x C
     * @param counts null unless asked for
     */
    public record Reduced(int channels, Summary[] summaries, double[] sums, long[] counts) {
        public int images() {
            return summaries.length;
        }
    }

    /**
     * One pass over each image's matrix for its summary and the batch's sums together; the means of
     * every scope then add the batch's C x C sums, not each image's matrix again. At VGG11's widths on
     * small inputs this host work, done as three passes, was most of the channel CKA stage. Tested
     * against a pair-by-pair reference (ChannelCkaTest).
     *
     * @param matrices B row-major C x C matrices, as {@link #matrices} returns them copied to the host
     */
    public static Reduced reduce(float[] matrices, int b, int c, boolean withSums) {
        double[] sums = withSums ? new double[c * c] : null;
        long[] counts = withSums ? new long[c * c] : null;
        Summary[] summaries = new Summary[b];
        for (int img = 0; img < b; img++) {
            int base = img * c * c;
            double offDiagonal = 0;
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    float v = matrices[base + i * c + j];
                    if (Float.isNaN(v)) {
                        continue; // a dead channel's row or column
                    }
                    if (i != j) {
                        offDiagonal += v;
                    }
                    if (withSums) {
                        sums[i * c + j] += v;
                        counts[i * c + j]++;
                    }
                }
            }
            int dead = 0;
            for (int i = 0; i < c; i++) {
                dead += Float.isNaN(matrices[base + i * c + i]) ? 1 : 0;
            }
            long live = c - dead;
            summaries[img] = new Summary(c, dead, live < 2 ? Double.NaN : offDiagonal / (live * (live - 1)));
        }
        return new Reduced(c, summaries, sums, counts);
    }
}
