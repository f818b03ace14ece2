package org.ckaatlas.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The run's batches, fixed on the driver before any image is decoded: images sorted by image_id,
 * shuffled with the seed, cut into k batches whose sizes differ by at most one and are never under
 * 4, where k = min(ceil(N / B), floor(N / 4)). The same inputs give the same plan on every machine
 * (java.util.Random and Collections.shuffle are specified exactly).
 */
public final class BatchPlan implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int MIN_BATCH = 4;

    /** One batch: its index in the plan (the summation order) and its images. */
    public record Batch(int index, List<ImageRef> images) implements Serializable {}

    private final List<Batch> batches;

    private BatchPlan(List<Batch> batches) {
        this.batches = List.copyOf(batches);
    }

    /**
     * @param batchSize the largest batch wanted, at least 4
     * @throws IllegalArgumentException with fewer than 4 images or a batch size under 4
     */
    public static BatchPlan of(List<ImageRef> images, int batchSize, long seed) {
        if (batchSize < MIN_BATCH) {
            throw new IllegalArgumentException("batch size must be at least " + MIN_BATCH + ", got " + batchSize);
        }
        int n = images.size();
        if (n < MIN_BATCH) {
            throw new IllegalArgumentException("need at least " + MIN_BATCH + " images, found " + n);
        }
        List<ImageRef> order = new ArrayList<>(images);
        order.sort(Comparator.comparing(ImageRef::imageId));
        Collections.shuffle(order, new Random(seed));
        int k = Math.min((n + batchSize - 1) / batchSize, n / MIN_BATCH);
        List<Batch> batches = new ArrayList<>(k);
        int start = 0;
        for (int b = 0; b < k; b++) {
            int size = n / k + (b < n % k ? 1 : 0);
            batches.add(new Batch(b, List.copyOf(order.subList(start, start + size))));
            start += size;
        }
        return new BatchPlan(batches);
    }

    /**
     * Class scope: one plan per label, each over that label's images only (the same rule as the global
     * plan, with the same seed). Labels with fewer than 4 images have no plan: they are returned in
     * {@code tooSmall}, to be reported, never silently dropped.
     */
    public static java.util.SortedMap<String, BatchPlan> perLabel(List<ImageRef> images, int batchSize, long seed,
            java.util.SortedMap<String, Integer> tooSmall) {
        java.util.SortedMap<String, List<ImageRef>> byLabel = new java.util.TreeMap<>();
        for (ImageRef image : images) {
            byLabel.computeIfAbsent(image.label(), k -> new ArrayList<>()).add(image);
        }
        java.util.SortedMap<String, BatchPlan> plans = new java.util.TreeMap<>();
        byLabel.forEach((label, members) -> {
            if (members.size() < MIN_BATCH) {
                tooSmall.put(label, members.size());
            } else {
                plans.put(label, of(members, batchSize, seed));
            }
        });
        return plans;
    }

    public List<Batch> batches() {
        return batches;
    }

    public int imageCount() {
        return batches.stream().mapToInt(b -> b.images().size()).sum();
    }
}
