package org.ckaatlas.results;

import static org.ckaatlas.results.Attempts.grid;
import static org.ckaatlas.results.Attempts.row;
import static org.ckaatlas.results.Attempts.running;
import static org.ckaatlas.results.Attempts.silence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What readers of a live run see while its driver rewrites the runs row, and what survives a driver that dies or is taken over. */
class RunPublisherTest {
    @TempDir
    Path dir;

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

    @Test
    void aDriverTakenOverWhileSilentStopsAtItsNextHeartbeatAndWritesNothing() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        try (RunPublisher first = running(out, "r", conf)) {
            first.stage(Table.FEATURE_GRIDS, grid("first"));
            AtomicReference<String> stopped = new AtomicReference<>();
            first.onLockLost(stopped::set);
            silence(dir.resolve("out"), "r"); // its driver paused (a stopped process, a long GC)

            try (RunPublisher second = running(out, "r", conf)) { // judges it dead and takes the run over
                String attempt = second.holder().attempt();
                ResultReader reader = new ResultReader(out, conf);
                first.beat(); // the first driver wakes up
                assertTrue(stopped.get() != null && stopped.get().contains("taken over by attempt " + attempt), stopped.get());
                assertEquals(attempt, reader.read(Table.RUNS, "r").get(0).get("attempt").toString(), "no running row over the new one");

                RunLockLostException refused = org.junit.jupiter.api.Assertions.assertThrows(RunLockLostException.class,
                        () -> first.publish(row(Vocabulary.SUCCEEDED, first)));
                assertTrue(refused.getMessage().contains("lost its lock"), refused.getMessage());
                assertEquals(false, first.committed());
                org.junit.jupiter.api.Assertions.assertThrows(RunLockLostException.class, () -> first.fail(row(Vocabulary.FAILED, first)));
                GenericRecord run = reader.read(Table.RUNS, "r").get(0);
                assertEquals(attempt, run.get("attempt").toString(), "its failure is not written over the new holder's row");
                assertEquals(Vocabulary.RUNNING, run.get("status").toString());
                assertTrue(Files.notExists(dir.resolve("out/feature_grids/run_id=r")), "nothing of the first attempt published");
                assertTrue(Files.notExists(dir.resolve("out/_staging/run_id=r/" + first.holder().attempt())), "its staging removed");
                first.close(); // releases nothing: the lock is the second's
                assertEquals(attempt, RunLock.holder(FileSystem.getLocal(conf), new org.apache.hadoop.fs.Path(dir.resolve("out").toUri()),
                        "r", 1).attempt());

                second.stage(Table.FEATURE_GRIDS, grid("second"));
                second.publish(row(Vocabulary.SUCCEEDED, second));
                assertEquals(List.of("second"), reader.read(Table.FEATURE_GRIDS, "r").stream().map(g -> g.get("image_id").toString()).toList());
                assertEquals(Vocabulary.SUCCEEDED, reader.read(Table.RUNS, "r").get(0).get("status").toString());
            }
        }
    }

    @Test
    void aFailureRecordedAfterATakeoverIsNotMovedOverTheNewHoldersRow() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        try (RunPublisher first = running(out, "f", conf)) {
            first.stage(Table.FEATURE_GRIDS, grid("first"));
            silence(dir.resolve("out"), "f");
            try (RunPublisher second = running(out, "f", conf)) {
                second.stage(Table.FEATURE_GRIDS, grid("second"));
                // the first driver wakes in its failure path, before any heartbeat: the check before the move stops it
                RunLockLostException lost = org.junit.jupiter.api.Assertions.assertThrows(RunLockLostException.class,
                        () -> first.fail(row(Vocabulary.FAILED, first)));
                assertTrue(lost.getMessage().contains("taken over by attempt " + second.holder().attempt()), lost.getMessage());
                GenericRecord run = new ResultReader(out, conf).read(Table.RUNS, "f").get(0);
                assertEquals(second.holder().attempt(), run.get("attempt").toString());
                assertEquals(Vocabulary.RUNNING, run.get("status").toString());
                assertTrue(Files.notExists(dir.resolve("out/_staging/run_id=f/" + first.holder().attempt())), "its staging removed");
                assertTrue(Files.exists(dir.resolve("out/_staging/run_id=f/" + second.holder().attempt() + "/feature_grids")),
                        "the new holder's staging kept");
            }
        }
    }
    @Test
    void aDriverWokenBetweenItsLockCheckAndItsWriteFindsItsStagingGoneAndDeletesNothing() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        try (RunPublisher first = running(out, "p", conf)) {
            first.onLockLost(reason -> {});
            first.stage(Table.FEATURE_GRIDS, grid("first"));
            String staging = "out/_staging/run_id=p/" + first.holder().attempt();
            org.apache.hadoop.fs.Path grids = new org.apache.hadoop.fs.Path(dir.resolve(staging + "/feature_grids").toUri());
            org.apache.hadoop.fs.Path runsRow = new org.apache.hadoop.fs.Path(dir.resolve(staging + "/_runs-7").toUri());
            silence(dir.resolve("out"), "p"); // paused just after a check that passed
            try (RunPublisher second = running(out, "p", conf)) { // takes it over and removes its staging
                second.stage(Table.FEATURE_GRIDS, grid("second"));
                second.publish(row(Vocabulary.SUCCEEDED, second));
                assertTrue(Files.notExists(dir.resolve(staging)), "the taker removed the paused attempt's staging");

                // it wakes inside the move it had checked its lock for: a runs row, or a table of its publish
                org.junit.jupiter.api.Assertions.assertThrows(java.io.FileNotFoundException.class,
                        () -> first.replacePartition(Table.RUNS, runsRow, "p"));
                org.junit.jupiter.api.Assertions.assertThrows(java.io.FileNotFoundException.class,
                        () -> first.replacePartition(Table.FEATURE_GRIDS, grids, "p"));
                // or in its publish, between the last check and the commit marker
                org.junit.jupiter.api.Assertions.assertThrows(java.io.FileNotFoundException.class,
                        () -> first.commit(List.of(Table.FEATURE_GRIDS)));
                assertEquals(false, first.committed(), "not published, so not reported as published");
                assertTrue(Files.notExists(dir.resolve(staging)), "its staging is not made again");
                ResultReader reader = new ResultReader(out, conf);
                GenericRecord run = reader.read(Table.RUNS, "p").get(0);
                assertEquals(second.holder().attempt(), run.get("attempt").toString(), "the taker's runs row stays");
                assertEquals(Vocabulary.SUCCEEDED, run.get("status").toString());
                assertEquals(List.of("second"), reader.read(Table.FEATURE_GRIDS, "p").stream().map(g -> g.get("image_id").toString()).toList());
            }
        }
    }
}
