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

    @Test
    void aReaderOfALiveRunAlwaysFindsItsOneRunsRow() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        try (RunPublisher publisher = RunPublisher.open(out, "live", conf, 3600)) {
            publisher.running(ResultRows.run(Vocabulary.RUNNING, Instant.now(), "{}", "{}", publisher.holder()).build());
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
                        "one file, and no .crc that could disagree with it");
            }
        }
    }
}
