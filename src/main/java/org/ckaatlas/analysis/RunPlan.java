package org.ckaatlas.analysis;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.data.BatchPlan;
import org.ckaatlas.data.ImageListing;
import org.ckaatlas.data.ImageRef;
import org.ckaatlas.results.Vocabulary;

/**
 * The run's images and its batches in every scope, fixed on the driver before anything is decoded: the
 * same data and flags give the same plan, and so the same numbers, on any number of executors.
 *
 * @param labelsTooSmall labels with fewer than 4 images (no class batches), with their image counts
 * @param gridImages the images whose every layer gets a feature-map grid
 */
public record RunPlan(List<ImageRef> images, BatchPlan global, SortedMap<String, BatchPlan> perLabel,
        SortedMap<String, Integer> labelsTooSmall, Set<String> gridImages) {

    /**
     * Lists the images and cuts every scope's batches.
     *
     * @throws UsageException for a missing folder, too few images, or no label big enough for --scope class
     */
    public static RunPlan of(RunConfig config, Configuration hadoop) {
        List<ImageRef> images;
        try {
            images = ImageListing.list(config.data(), hadoop);
        } catch (FileNotFoundException e) {
            throw new UsageException("--data " + config.data() + ": no such folder");
        } catch (IOException e) {
            throw new UsageException("--data " + config.data() + ": " + e.getMessage());
        }
        try {
            BatchPlan global = BatchPlan.of(images, config.batchSize(), config.seed());
            SortedMap<String, Integer> tooSmall = new TreeMap<>();
            SortedMap<String, BatchPlan> perLabel = config.scope().perClass()
                    ? BatchPlan.perLabel(images, config.batchSize(), config.seed(), tooSmall) : new TreeMap<>();
            if (config.scope() == RunConfig.Scope.CLASS && perLabel.isEmpty()) {
                throw new UsageException("--scope class: no label has 4 images (" + tooSmall + ")");
            }
            return new RunPlan(images, global, perLabel, tooSmall, gridImages(images, config.featureGrids(), config.seed()));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--data " + config.data() + ": " + e.getMessage());
        }
    }

    /**
     * Work items: global batches first, then each label's, one label after another. Each image's channel
     * CKA is computed once: in its class batch when class scope runs and its label has one, else in its
     * global batch.
     */
    public List<WorkItem> items(RunConfig.Scope scope) {
        List<WorkItem> items = new ArrayList<>();
        if (scope.global()) {
            global.batches().forEach(b -> items.add(new WorkItem(Vocabulary.GLOBAL, b, b.images().stream()
                    .filter(i -> !scope.perClass() || !perLabel.containsKey(i.label()))
                    .map(ImageRef::imageId).collect(Collectors.toSet()))));
        }
        if (scope.perClass()) {
            perLabel.forEach((label, plan) -> plan.batches().forEach(b -> items.add(new WorkItem(
                    Vocabulary.classScope(label), b, b.images().stream().map(ImageRef::imageId).collect(Collectors.toSet())))));
        }
        return items;
    }

    /**
     * Images whose every layer gets a feature-map grid: one per label in turn (labels in order, each
     * label's images in a seeded order) until {@code count} are chosen.
     */
    static Set<String> gridImages(List<ImageRef> images, int count, long seed) {
        SortedMap<String, List<String>> byLabel = new TreeMap<>();
        for (ImageRef image : images) {
            byLabel.computeIfAbsent(image.label(), k -> new ArrayList<>()).add(image.imageId());
        }
        byLabel.values().forEach(ids -> Collections.shuffle(ids, new Random(seed)));
        Set<String> chosen = new HashSet<>();
        for (int round = 0; chosen.size() < Math.min(count, images.size()); round++) {
            for (List<String> ids : byLabel.values()) {
                if (round < ids.size() && chosen.size() < count) {
                    chosen.add(ids.get(round));
                }
            }
        }
        return chosen;
    }
}
