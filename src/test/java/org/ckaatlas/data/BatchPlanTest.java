package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchPlanTest {
    static List<ImageRef> images(int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> new ImageRef(String.format("c%d/img%03d.jpg", i % 3, i), "c" + i % 3, "file:/x/" + i))
                .collect(Collectors.toList());
    }

    @ParameterizedTest
    @CsvSource({"4, 4", "5, 4", "7, 4", "100, 32", "101, 32", "50000, 64", "9, 8", "17, 16"})
    void sizesDifferByAtMostOneAndNeverGoUnderFour(int n, int batchSize) {
        BatchPlan plan = BatchPlan.of(images(n), batchSize, 1);
        List<Integer> sizes = plan.batches().stream().map(b -> b.images().size()).collect(Collectors.toList());
        int min = Collections.min(sizes);
        int max = Collections.max(sizes);
        assertTrue(max - min <= 1, sizes.toString());
        assertTrue(min >= 4, sizes.toString());
        assertTrue(max <= Math.max(batchSize, 7), "no batch needlessly larger than asked: " + sizes);
        assertEquals(n, plan.imageCount());
        Set<String> seen = new HashSet<>();
        plan.batches().forEach(b -> b.images().forEach(i -> assertTrue(seen.add(i.imageId()), "twice: " + i)));
        for (int b = 0; b < plan.batches().size(); b++) {
            assertEquals(b, plan.batches().get(b).index());
        }
    }

    @Test
    void theSameInputsGiveTheSamePlanWhateverTheListingOrder() {
        List<ImageRef> shuffled = new ArrayList<>(images(40));
        Collections.shuffle(shuffled, new java.util.Random(3));
        assertEquals(BatchPlan.of(images(40), 8, 7).batches(), BatchPlan.of(shuffled, 8, 7).batches());
        assertNotEquals(BatchPlan.of(images(40), 8, 7).batches(), BatchPlan.of(images(40), 8, 8).batches());
    }

    @Test
    void tooFewImagesOrTooSmallABatchAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BatchPlan.of(images(3), 4, 0));
        assertThrows(IllegalArgumentException.class, () -> BatchPlan.of(images(10), 3, 0));
    }
}
