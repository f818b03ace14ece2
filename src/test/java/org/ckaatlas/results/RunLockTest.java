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
}
