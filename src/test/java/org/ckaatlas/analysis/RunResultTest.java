package org.ckaatlas.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.ckaatlas.cka.ChannelCka;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.results.Vocabulary;
import org.junit.jupiter.api.Test;

/** The driver's side of a run, without Spark: the result merges in any grouping, and sums stay per scope. */
class RunResultTest {
    private static BatchResult batch(String scope, int index, double value) {
        double[][] hsic = {{value, value / 2}, {value / 2, value}};
        return new BatchResult(scope, index, 4, List.of(ImageOutcome.ok("x" + index, "l", index, 8, 8)),
                Map.of(Estimator.UNBIASED, hsic), new StageTimes(),
                new BatchResult.Executor("1", 7, "cpu()", "none", null, "blocked", 1, "PyTorch"));
    }

    @Test
    void mergingInAnyGroupingGivesTheSameSums() {
        RunResult a = RunResult.of(batch(Vocabulary.GLOBAL, 0, 1.0));
        RunResult b = RunResult.of(batch(Vocabulary.GLOBAL, 1, 2.0));
        RunResult c = RunResult.of(batch(Vocabulary.classScope("cat"), 0, 3.0));
        RunResult left = a.merge(b).merge(c);
        RunResult right = c.merge(RunResult.empty()).merge(b.merge(a));
        assertEquals(left.batches(), right.batches());
        assertArrayEquals(new double[] {3.0, 1.5}, left.hsic(Vocabulary.GLOBAL, Estimator.UNBIASED, 2).sums()[0]);
        assertArrayEquals(new double[] {3.0, 1.5}, left.hsic("class:cat", Estimator.UNBIASED, 2).sums()[0]);
        assertEquals(List.of("class:cat", "global"), left.scopes());
        assertEquals(2, left.imageBatches().size(), "the images table follows the global scope");
    }

    @Test
    void aBatchCountedTwiceIsRefused() {
        RunResult a = RunResult.of(batch(Vocabulary.GLOBAL, 0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> a.merge(RunResult.of(batch(Vocabulary.GLOBAL, 0, 1.0))));
    }

    @Test
    void aLabelsChannelSumsAreHandedOnWhenTheNextLabelStarts() {
        ChannelSums sums = new ChannelSums();
        ChannelCka.Reduced m = new ChannelCka.Reduced(2, new ChannelCka.Summary[] {new ChannelCka.Summary(2, 0, 0.5)},
                new double[] {1, 0.5, 0.5, 1}, new long[] {1, 1, 1, 1});
        sums.add(Vocabulary.GLOBAL, "a", 0, m);
        sums.add("class:cat", "a", 0, m);
        assertEquals(List.of(), sums.closeAllBut("class:cat"));
        List<ChannelSum> closed = sums.closeAllBut("class:dog");
        assertEquals(List.of(new ChannelSum.Key("class:cat", "a", 0)), closed.stream().map(ChannelSum::key).toList());
        List<ChannelSum> rest = sums.closeAll();
        assertEquals(List.of(new ChannelSum.Key(Vocabulary.GLOBAL, "a", 0)), rest.stream().map(ChannelSum::key).toList());
        assertEquals(List.of(), sums.closeAll());
    }
}
