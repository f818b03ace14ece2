package org.ckaatlas.cka;

import java.io.Serializable;

/**
 * The entry-wise mean of per-image C x C channel CKA matrices, over the images where each entry is
 * defined (NaN entries — dead channels — are left out of that entry's mean, not counted as 0). A mergeable
 * value: float64 sums and counts.
 */
public final class ChannelMean implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int channels;
    private final double[] sum;
    private final long[] count;
    private long images;

    public ChannelMean(int channels) {
        this.channels = channels;
        this.sum = new double[channels * channels];
        this.count = new long[channels * channels];
    }

    /** Adds a batch's entry-wise sums and non-NaN counts over {@code images} images ({@link ChannelCka#reduce}). */
    public void add(double[] batchSums, long[] batchCounts, int images) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += batchSums[i];
            count[i] += batchCounts[i];
        }
        this.images += images;
    }

    /** Adds another accumulator's images into this one. */
    public ChannelMean merge(ChannelMean other) {
        if (other.channels != channels) {
            throw new IllegalArgumentException("cannot merge " + channels + " with " + other.channels + " channels");
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += other.sum[i];
            count[i] += other.count[i];
        }
        images += other.images;
        return this;
    }

    public int channels() {
        return channels;
    }

    public long images() {
        return images;
    }

    /** The mean matrix, row-major; NaN where no image defined the entry. */
    public float[] mean() {
        float[] m = new float[sum.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = count[i] == 0 ? Float.NaN : (float) (sum[i] / count[i]);
        }
        return m;
    }
}
