package org.ckaatlas.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One live driver per run id: a live lock refuses, a stale one is taken over, a release frees it. */
class RunLockTest {
    @TempDir
    Path dir;

    private static RunLock.Holder holder(String attempt, long heartbeatAt) {
        return new RunLock.Holder("r", attempt, "host", 42, heartbeatAt, heartbeatAt, 1);
    }

    @Test
    void liveRefusesStaleIsTakenOverReleaseFrees() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        long now = System.currentTimeMillis();
        RunLock first = RunLock.acquire(fs, out, holder("first", now));
        RunLockedException refused = assertThrows(RunLockedException.class, () -> RunLock.acquire(fs, out, holder("second", now)));
        assertEquals(true, refused.getMessage().contains("attempt first of driver pid 42 on host"), refused.getMessage());

        first.heartbeat(now - 10_000); // six missed one-second heartbeats: the driver is gone
        try (RunLock second = RunLock.acquire(fs, out, holder("second", now))) {
            assertEquals("second", RunLock.holder(fs, out, "r").attempt());
            first.close(); // the dead driver's release must not free the new holder's lock
            assertEquals("second", RunLock.holder(fs, out, "r").attempt());
        }
        assertNull(RunLock.holder(fs, out, "r"));
    }

    @Test
    void aLockCutShortByAKillMidHeartbeatRefusesForSixSecondsThenIsTakenOver() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        long now = System.currentTimeMillis();
        // a driver with a ten-second heartbeat, killed while it rewrote its lock: half a JSON object is left
        RunLock.acquire(fs, out, new RunLock.Holder("r", "dead", "host", 42, now, now, 10)).heartbeat(now);
        java.nio.file.Path lock = dir.resolve("_locks/run_id=r");
        java.nio.file.Files.writeString(lock, "{\"runId\":\"r\",\"attem");
        assertThrows(RunLockedException.class, () -> RunLock.acquire(fs, out, holder("next", now)), "it may be a rewrite in progress");
        java.nio.file.Files.setLastModifiedTime(lock, java.nio.file.attribute.FileTime.fromMillis(now - 7_000));
        try (RunLock next = RunLock.acquire(fs, out, holder("next", now))) {
            assertEquals("next", RunLock.holder(fs, out, "r").attempt());
        }
    }
}
