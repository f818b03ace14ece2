package org.ckaatlas.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.analysis.ResultRows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a reader of a live run sees while its driver rewrites the runs row at each heartbeat. */
class RunPublisherTest {
    @TempDir
    Path dir;

    /** An attempt at {@code runId}, its runs row saying running. */
    private static RunPublisher running(String out, String runId, Configuration conf) throws Exception {
        RunPublisher publisher = RunPublisher.open(out, runId, conf, 3600);
        publisher.running(row(Vocabulary.RUNNING, publisher));
        return publisher;
    }

    private static GenericRecord row(String status, RunPublisher publisher) {
        return ResultRows.run(status, Instant.now(), "{}", "{}", publisher.holder()).build();
    }

    @Test
    void aReaderOfALiveRunAlwaysFindsItsOneRunsRow() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        try (RunPublisher publisher = running(out, "live", conf)) {
            ResultReader reader = new ResultReader(out, conf);
            long firstBeat = (Long) reader.read(Table.RUNS, "live").get(0).get("heartbeat_at");
            AtomicReference<Throwable> beatFailed = new AtomicReference<>();
            Thread beats = new Thread(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        Thread.sleep(1); // a new heartbeat_at each time
                        publisher.beat();
                    }
                } catch (Throwable t) {
                    beatFailed.set(t);
                }
            });
            beats.start();
            int reads = 0;
            while (beats.isAlive()) {
                List<GenericRecord> rows = reader.read(Table.RUNS, "live");
                assertEquals(1, rows.size(), "read " + reads);
                assertEquals(Vocabulary.RUNNING, rows.get(0).get("status").toString());
                reads++;
            }
            beats.join();
            assertEquals(null, beatFailed.get());
            assertTrue((Long) reader.read(Table.RUNS, "live").get(0).get("heartbeat_at") > firstBeat, "the heartbeats were written");
            assertTrue(reads > 10, "the reader raced the heartbeats " + reads + " times");
            try (var files = Files.list(dir.resolve("out/runs/run_id=live"))) {
                assertEquals(List.of("part-00000.parquet"), files.map(p -> p.getFileName().toString()).toList(),
                        "one file, and no sidecar beside it");
            }
        }
    }

    private static List<GenericRecord> grid(String imageId) {
        return List.of(ResultRows.featureGrid(imageId, "c0", "a", 0, 1, new byte[] {1, 2, 3}));
    }

    @Test
    void aPublishKilledBetweenMovingAFileAndRemovingItsFolderRollsForwardWhole() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        try (RunPublisher first = running(out, "r", conf)) {
            first.stage(Table.FEATURE_GRIDS, grid("first"));
            first.publish(row(Vocabulary.SUCCEEDED, first));
        }
        // a second attempt, committed, and killed as it published: its feature_grids file is in place, the
        // folder it came from still there and empty
        String attempt;
        try (RunPublisher second = running(out, "r", conf)) {
            attempt = second.holder().attempt();
            second.stage(Table.FEATURE_GRIDS, grid("second"));
            second.stage(Table.RUNS, List.of(row(Vocabulary.SUCCEEDED, second)));
        }
        Path staged = dir.resolve("out/_staging/run_id=r/" + attempt);
        Files.writeString(staged.resolve("_COMMITTED"), "feature_grids\nruns");
        Files.move(staged.resolve("feature_grids/part-00000.parquet"), dir.resolve("out/feature_grids/run_id=r/part-00000.parquet"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        RunPublisher.open(out, "r", conf, 3600).close(); // the next writer rolls it forward
        ResultReader reader = new ResultReader(out, conf);
        assertEquals(List.of("second"), reader.read(Table.FEATURE_GRIDS, "r").stream().map(g -> g.get("image_id").toString()).toList());
        GenericRecord run = reader.read(Table.RUNS, "r").get(0);
        assertEquals(Vocabulary.SUCCEEDED, run.get("status").toString());
        assertEquals(attempt, run.get("attempt").toString());
        assertTrue(Files.notExists(staged));

        // killed later still: the final runs row moved too, its folder left empty
        Path late = dir.resolve("out/_staging/run_id=r/20261202T000000000Z-1");
        Files.createDirectories(late.resolve("runs"));
        Files.writeString(late.resolve("_COMMITTED"), "runs");
        RunPublisher.open(out, "r", conf, 3600).close();
        assertEquals(attempt, reader.read(Table.RUNS, "r").get(0).get("attempt").toString());
        assertTrue(Files.notExists(late));
    }
}
