package org.ckaatlas.cka;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

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
 * of that for tall maps, where the Grams are taken in row halves (from SPLIT_ROWS rows up), and the
 * normalisation runs once for the batch, after its chunks. The second GEMM runs on oneDNN for wide layers
 * on CPUs ({@link InnerProducts}).
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
     * From this many rows up, the Grams are taken in row halves: there the products are large enough that
     * saving their quarter pays for the scaling pass and the second GEMM. Measured in two GEMMs per
     * product at 8 images: 256x56 3.1-3.3 ms per image split against 4.0-5.4 whole; at 512x28 the two were
     * within this machine's noise, so 28 rows stay whole (conv5-conv8 of VGG11 at 224).
     */
    private static final long SPLIT_ROWS = 32;

    private static final double SQRT2 = Math.sqrt(2);

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
        NDManager caller = activations.getManager();
        try (NDManager scope = caller.newSubManager()) {
            NDList dots = new NDList();
            NDList squaredNorms = new NDList();
            for (long from = 0; from < s.get(0); from += chunk) {
                NDArray images = activations.get(new NDIndex("{}:{}", from, Math.min(from + chunk, s.get(0))));
                images.attach(scope);
                Inner inner = ofChunk(images, splitRows, scope);
                dots.add(inner.dots());
                squaredNorms.add(inner.squaredNorms());
            }
            NDArray m = normalise(joined(dots), joined(squaredNorms));
            m.attach(caller);
            return m;
        }
    }

    /** The chunks' parts along the image axis; one chunk's as it is, not copied. */
    private static NDArray joined(NDList parts) {
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
    }

    /** Per image, the inner products <HG_iH, HG_jH> (B, C, C) and the squared norms ||A_c||_F^2 (B, C). */
    private record Inner(NDArray dots, NDArray squaredNorms) {}

    /** {@link Inner} of a chunk of images, in {@code into}; its temporaries are freed before it returns. */
    private static Inner ofChunk(NDArray activations, long splitRows, NDManager into) {
        Shape s = activations.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        try (NDManager scope = into.newSubManager()) {
            activations.tempAttach(scope);
            NDArray columnMeans = activations.mean(new int[] {2}, true);
            NDArray centred = activations.sub(columnMeans);
            NDArray dots;
            NDArray traces;
            if (h >= splitRows) {
                // rows in two halves T, U: G = [G11 G12; G12^T G22], so <G_i, G_j> = <G11_i, G11_j> + 2 <G12_i, G12_j>
                // + <G22_i, G22_j>. With U scaled by √2 in place, T [T; √2 U]^T = [G11 | √2 G12] carries the first two
                // terms in one GEMM, and (√2 U)(√2 U)^T = 2 G22 the third at a quarter's weight: G's lower quarter is
                // never formed, 3/4 of both products' FLOPs in two GEMMs each
                long a = h / 2;
                centred.get(new NDIndex(":, :, {}:", a)).muli(SQRT2); // a view: centred itself changes
                NDArray top = centred.get(new NDIndex(":, :, :{}", a));
                NDArray bottom = centred.get(new NDIndex(":, :, {}:", a));
                NDArray upper = flatGram(top, centred, b, c);
                NDArray lower = flatGram(bottom, bottom, b, c);
                dots = dotsOf(lower).mul(0.25).addi(dotsOf(upper)); // not muli: oneDNN's products are read-only
                traces = diagonal(upper, h).sum(new int[] {2}).addi(diagonal(lower, h - a).sum(new int[] {2}).muli(0.5));
            } else {
                NDArray flat = flatGram(centred, centred, b, c);
                dots = dotsOf(flat);
                traces = diagonal(flat, h).sum(new int[] {2});
            }
            // ||A_c||_F^2 = ||HA_c||_F^2 + h ||column means||^2, the first being trace(HG_cH): no pass over A
            NDArray squaredNorms = traces.addi(columnMeans.square().sum(new int[] {2, 3}).muli(h));
            dots.attach(into);
            squaredNorms.attach(into);
            return new Inner(dots, squaredNorms);
        }
    }

    /** M = D^-1/2 dots D^-1/2, D the diagonal of dots; a dead channel's NaN spreads along its row and column. */
    private static NDArray normalise(NDArray dots, NDArray squaredNorms) {
        Shape s = dots.getShape();
        long c = s.get(1);
        // ||HG_cH||_F is the root of dots' diagonal, read with a stride
        NDArray norms = diagonal(dots.reshape(s.get(0), c * c), c).sqrt();
        NDArray dead = norms.lte(squaredNorms.muli(DEAD_TOLERANCE));
        NDArray inverse = NDArrays.where(dead, dots.getManager().full(norms.getShape(), Float.NaN, norms.getDataType()), norms.pow(-1));
        return dots.mul(inverse.expandDims(2)).muli(inverse.expandDims(1)); // dots may be read-only (InnerProducts)
    }

    /** X Y^T of each image's channel maps, flattened: (B, C, rows of X x rows of Y). */
    private static NDArray flatGram(NDArray x, NDArray y, long b, long c) {
        return x.matMul(y.transpose(0, 1, 3, 2)).reshape(b, c, -1);
    }

    /** The (B, C, C) inner products of flattened Grams. */
    private static NDArray dotsOf(NDArray flat) {
        return InnerProducts.of(flat, flat);
    }

    /**
     * Every {@code (n+1)}-th entry of the last axis: the diagonals of matrices stored row-major with rows
     * of n entries (of their leading square block, where they have fewer rows than columns).
     */
    private static NDArray diagonal(NDArray rowMajor, long n) {
        return rowMajor.get(new NDIndex("..., ::{}", n + 1));
    }

    /**
     * The floats of a float32 array, row-major, read in place on a CPU (copied from other devices); valid
     * while the array is open. At C = 512 this halves the host side of channel CKA: DJL's toFloatArray
     * copies twice into a fresh 1 MiB-per-image array first (scripts/bench-cka).
     */
    public static FloatBuffer floats(NDArray array) {
        if (array.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("float32 expected, not " + array.getDataType());
        }
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
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
     * @param matrices B row-major C x C matrices, as {@link #matrices} returns them, read through {@link #floats}
     */
    public static Reduced reduce(FloatBuffer matrices, int b, int c, boolean withSums) {
        int entries = c * c;
        double[] sums = withSums ? new double[entries] : null;
        // every image counts once in every entry but its NaNs, which are taken off where they are met
        long[] counts = withSums ? new long[entries] : null;
        Summary[] summaries = new Summary[b];
        for (int img = 0; img < b; img++) {
            int base = img * entries;
            int dead = 0;
            double diagonal = 0;
            for (int i = 0; i < c; i++) {
                float v = matrices.get(base + i * c + i);
                if (Float.isNaN(v)) {
                    dead++;
                } else {
                    diagonal += v;
                }
            }
            // a NaN off the diagonal needs a dead channel: |<G_i, G_j>| <= ||G_i|| ||G_j||, finite for live ones
            double all = dead == 0 ? addAll(matrices, base, entries, sums) : addLive(matrices, base, entries, sums, counts);
            long live = c - dead;
            summaries[img] = new Summary(c, dead, live < 2 ? Double.NaN : (all - diagonal) / (live * (live - 1)));
        }
        if (withSums) {
            for (int k = 0; k < entries; k++) {
                counts[k] += b;
            }
        }
        return new Reduced(c, summaries, sums, counts);
    }

    /**
     * The sum of one image's entries, none of them NaN, each also added to {@code sums} (when not null).
     * Four running totals, not one: a single chain of dependent double additions bounds the loop at one
     * entry per add latency, about half the host reduction's time at C = 512 (scripts/bench-cka).
     */
    private static double addAll(FloatBuffer matrices, int base, int entries, double[] sums) {
        double t0 = 0;
        double t1 = 0;
        double t2 = 0;
        double t3 = 0;
        int k = 0;
        for (; k + 4 <= entries; k += 4) {
            float v0 = matrices.get(base + k);
            float v1 = matrices.get(base + k + 1);
            float v2 = matrices.get(base + k + 2);
            float v3 = matrices.get(base + k + 3);
            t0 += v0;
            t1 += v1;
            t2 += v2;
            t3 += v3;
            if (sums != null) {
                sums[k] += v0;
                sums[k + 1] += v1;
                sums[k + 2] += v2;
                sums[k + 3] += v3;
            }
        }
        for (; k < entries; k++) {
            float v = matrices.get(base + k);
            t0 += v;
            if (sums != null) {
                sums[k] += v;
            }
        }
        return (t0 + t1) + (t2 + t3);
    }

    /** As {@link #addAll}, for an image with dead channels: their NaN rows and columns are skipped and uncounted. */
    private static double addLive(FloatBuffer matrices, int base, int entries, double[] sums, long[] counts) {
        double all = 0;
        for (int k = 0; k < entries; k++) {
            float v = matrices.get(base + k);
            if (Float.isNaN(v)) {
                if (counts != null) {
                    counts[k]--;
                }
                continue;
            }
            all += v;
            if (sums != null) {
                sums[k] += v;
            }
        }
        return all;
    }
}
