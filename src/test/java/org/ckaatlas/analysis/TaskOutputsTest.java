package org.ckaatlas.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.ModelSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task's batches with decode threads ahead of the forward: the same outputs, bit for bit, whatever
 * the number of threads, and never more than one batch decoding ahead. Real images, a real TorchScript
 * model on libtorch; no Spark.
 */
class TaskOutputsTest {
    @TempDir
    static Path dir;

    static RunConfig config;

    @BeforeAll
    static void data() throws Exception {
        Path data = dir.resolve("data");
        SampleData.write(data, 3, 9, 4);
        Files.writeString(data.resolve("c01_checkerboard/broken.jpg"), "no pixels here");
        config = RunConfig.builder().setData(data.toUri().toString()).setOut(dir.resolve("out").toUri().toString())
                .setRunId("t").optModel(ModelSpec.parse(Cli.TINY_MODEL)).optBatchSize(4).optScope(RunConfig.Scope.BOTH)
                .optChannelCka(RunConfig.ChannelMode.MEAN).optBootstrapResamples(0).optMaxFailedFraction(0.5).build();
    }

    /** Everything one task made, in order, as text; float64 matrices and sums by their exact bits. */
    private static List<String> task(int decodeThreads, int[] mostAhead) {
        RunPlan plan = RunPlan.of(config, new Configuration());
        List<AnalysedModel> models = List.of(AnalysedModel.resolve("a", config.model(), config.layers(), "--layers"));
        List<String> made = new ArrayList<>();
        BatchAnalysis analysis = new BatchAnalysis(config, models, List.of(ModelCache.get(config.model(), Device.cpu())),
                DeviceChoice.choose(DeviceChoice.Wanted.CPU, "none"), Set.of(), new Configuration(), "test",
                (GenericRecord row) -> made.add(row.toString()), row -> { });
        Iterator<WorkItem> all = plan.items(config.scope()).iterator();
        int[] pulled = {0};
        Iterator<WorkItem> items = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return all.hasNext();
            }

            @Override
            public WorkItem next() {
                pulled[0]++;
                return all.next();
            }
        };
        int batches = 0;
        try (DecodeAhead decoding = new DecodeAhead(analysis, decodeThreads)) {
            TaskOutputs outputs = new TaskOutputs(items, analysis, decoding, n -> { }, () -> { });
            while (outputs.hasNext()) {
                TaskOutput output = outputs.next();
                if (output instanceof BatchResult b) {
                    batches++;
                    mostAhead[0] = Math.max(mostAhead[0], pulled[0] - batches);
                    made.add(b.scope() + " " + b.batch() + " " + b.n() + " " + b.images() + " "
                            + Arrays.deepToString(b.hsic().values().stream().map(TaskOutputsTest::bits).toArray()));
                } else if (output instanceof ChannelSum s) {
                    made.add(s.key() + " " + s.sum().images() + " " + Arrays.toString(s.sum().mean()));
                }
            }
        }
        return made;
    }

    private static long[][] bits(double[][] m) {
        return Arrays.stream(m).map(row -> Arrays.stream(row).mapToLong(Double::doubleToRawLongBits).toArray()).toArray(long[][]::new);
    }

    @Test
    void theOutputsAreTheSameBitForBitWithAnyNumberOfDecodeThreads() {
        int[] ahead = {0};
        List<String> serial = task(0, ahead);
        assertEquals(1, ahead[0], "the next item is taken before the current one runs (without threads, decoded only when due)");
        assertTrue(serial.stream().anyMatch(s -> s.contains("no pixels here") || s.contains("not an image")), "a failed image is in");
        for (int threads : new int[] {1, 3}) {
            int[] mostAhead = {0};
            assertEquals(serial, task(threads, mostAhead), threads + " decode threads");
            assertEquals(1, mostAhead[0], "one batch decodes ahead, never more: at most two in memory");
        }
    }
}
