package org.ckaatlas.results;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.analysis.ResultRows;

/** What the publishing and lock tests build their attempts from: rows, a running attempt, a paused driver's lock. */
final class Attempts {
    private Attempts() {}

    /** An attempt at {@code runId}, its runs row saying running. */
    static RunPublisher running(String out, String runId, Configuration conf) throws Exception {
        RunPublisher publisher = RunPublisher.open(out, runId, conf, 3600);
        publisher.running(row(Vocabulary.RUNNING, publisher));
        return publisher;
    }

    static GenericRecord row(String status, RunPublisher publisher) {
        return ResultRows.run(status, Instant.now(), "{}", "{}", publisher.holder()).build();
    }

    static List<GenericRecord> grid(String imageId) {
        return List.of(ResultRows.featureGrid(imageId, "c0", "a", 0, 1, new byte[] {1, 2, 3}));
    }

    /** A lock of run "r" with a one-second heartbeat, last beaten at {@code heartbeatAt}. */
    static RunLock.Holder holder(String attempt, long heartbeatAt) {
        return new RunLock.Holder("r", attempt, "host", 42, heartbeatAt, heartbeatAt, 1);
    }

    /** Makes {@code runId}'s lock under {@code out} say its last heartbeat was seven hours back, as a paused driver's would. */
    static void silence(Path out, String runId) throws Exception {
        Path lockFile = out.resolve("_locks/run_id=" + runId);
        com.google.gson.Gson json = new com.google.gson.Gson();
        RunLock.Holder was = json.fromJson(Files.readString(lockFile), RunLock.Holder.class);
        long silent = System.currentTimeMillis() - 7 * 3600_000L;
        Files.writeString(lockFile, json.toJson(new RunLock.Holder(was.runId(), was.attempt(), was.host(), was.pid(),
                was.startedAt(), silent, was.heartbeatSeconds())));
    }
}
