package org.ckaatlas.data;

/**
 * Bilinear resampling of one float plane with PyTorch's {@code F.interpolate(mode='bilinear',
 * align_corners=False, antialias=False)} semantics: the source coordinate of output index d is
 * (d + 0.5) * in/out - 0.5, clamped below at 0; the right/bottom neighbour is clamped at the edge.
 */
final class BilinearResize {
    private BilinearResize() {}

    static float[] resize(float[] src, int inH, int inW, int outH, int outW) {
        Axis ys = new Axis(inH, outH);
        Axis xs = new Axis(inW, outW);
        float[] dst = new float[outH * outW];
        for (int y = 0; y < outH; y++) {
            int r0 = ys.lo[y] * inW;
            int r1 = ys.hi[y] * inW;
            float wy1 = ys.lambda[y];
            float wy0 = 1f - wy1;
            for (int x = 0; x < outW; x++) {
                float wx1 = xs.lambda[x];
                float wx0 = 1f - wx1;
                int x0 = xs.lo[x];
                int x1 = xs.hi[x];
                dst[y * outW + x] = wy0 * (wx0 * src[r0 + x0] + wx1 * src[r0 + x1])
                        + wy1 * (wx0 * src[r1 + x0] + wx1 * src[r1 + x1]);
            }
        }
        return dst;
    }

    /** Source indices and weights along one axis. */
    private static final class Axis {
        final int[] lo;
        final int[] hi;
        final float[] lambda;

        Axis(int in, int out) {
            lo = new int[out];
            hi = new int[out];
            lambda = new float[out];
            float scale = (float) in / out;
            for (int d = 0; d < out; d++) {
                float s = Math.max(0f, (d + 0.5f) * scale - 0.5f);
                int i = (int) s;
                lo[d] = i;
                hi[d] = i < in - 1 ? i + 1 : i;
                lambda[d] = s - i;
            }
        }
    }
}
