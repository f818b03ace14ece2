package org.ckaatlas.results;

import static org.ckaatlas.results.Attempts.holder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One live driver per run id: a live lock refuses, a stale one is taken over, a release frees it. */
class RunLockTest {
    @TempDir
    Path dir;

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
            assertEquals("second", RunLock.holder(fs, out, "r", 1).attempt());
            first.close(); // the dead driver's release must not free the new holder's lock
            assertEquals("second", RunLock.holder(fs, out, "r", 1).attempt());
        }
        assertNull(RunLock.holder(fs, out, "r", 1));
    }

    @Test
    void aLockCutShortByAKillMidHeartbeatIsJudgedByItsFileTimeAtTheReadersPeriod() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        Path lock = dir.resolve("_locks/run_id=r");
        long now = System.currentTimeMillis();
        RunLock.Holder next = new RunLock.Holder("r", "next", "host", 43, now, now, 10);
        // with a .crc that disagrees (left by a Hadoop client that rewrote it in place), then without: half a JSON
        for (boolean withCrc : new boolean[] {true, false}) {
            // a driver with a ten-second heartbeat, killed while it rewrote its lock
            RunLock.acquire(fs, out, new RunLock.Holder("r", "dead", "host", 42, now, now, 10)).heartbeat(now);
            if (withCrc) {
                try (var written = fs.create(new org.apache.hadoop.fs.Path(lock.toUri()), true)) {
                    written.write(Files.readAllBytes(lock));
                }
            }
            Files.writeString(lock, "{\"runId\":\"r\",\"attem");
            assertEquals(withCrc, Files.exists(dir.resolve("_locks/.run_id=r.crc")));
            Files.setLastModifiedTime(lock, FileTime.fromMillis(now - 50_000));
            assertThrows(RunLockedException.class, () -> RunLock.acquire(fs, out, next), "five of the reader's periods: perhaps a slow rewrite");
            Files.setLastModifiedTime(lock, FileTime.fromMillis(now - 61_000));
            try (RunLock taken = RunLock.acquire(fs, out, next)) {
                assertEquals("next", RunLock.holder(fs, out, "r", 10).attempt(), "six periods: its writer is gone");
            }
        }
    }

    @Test
    void aReaderNeverCatchesAHeartbeatHalfWritten() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        long now = System.currentTimeMillis();
        try (RunLock lock = RunLock.acquire(fs, out, holder("beating", now))) {
            Thread beats = new Thread(() -> {
                try {
                    for (int i = 0; i < 3000; i++) {
                        lock.heartbeat(now + i);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            beats.start();
            int reads = 0;
            while (beats.isAlive()) {
                RunLock.Holder seen = RunLock.readOnce(fs, out, "r"); // one read: no second try hides a torn one
                assertEquals("beating", seen == null ? null : seen.attempt(), "read " + reads);
                reads++;
            }
            beats.join();
            assertEquals(true, reads > 10, "the reader raced the heartbeats " + reads + " times");
            assertEquals(now + 2999, RunLock.holder(fs, out, "r", 1).heartbeatAt());
        }
        try (var left = Files.list(dir.resolve("_locks"))) {
            assertEquals(java.util.List.of(), left.map(Path::getFileName).map(Path::toString).toList(), "no lock or temp file left");
        }
    }

    @Test
    void aHolderTakenOverWhileSilentFindsOutAtItsNextHeartbeatAndNeverWritesTheLockAgain() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        long now = System.currentTimeMillis();
        RunLock paused = RunLock.acquire(fs, out, holder("paused", now - 10_000)); // silent for ten one-second periods
        try (RunLock taker = RunLock.acquire(fs, out, holder("taker", now))) {
            RunLockLostException lost = assertThrows(RunLockLostException.class, () -> paused.heartbeat(now));
            assertEquals(true, lost.getMessage().contains("taken over by attempt taker") && lost.getMessage().matches(".* 10\\.[0-9] s ago.*"),
                    lost.getMessage());
            assertEquals("taker", RunLock.holder(fs, out, "r", 1).attempt(), "the taker's lock stays");
            paused.heartbeat(now + 1000); // a beat racing the stop: writes nothing
            assertEquals("taker", RunLock.holder(fs, out, "r", 1).attempt());
            paused.close();
            assertEquals("taker", RunLock.holder(fs, out, "r", 1).attempt());
        }

        // taken over and released before the silent holder came back: the lock is not made again
        RunLock late = RunLock.acquire(fs, out, holder("late", now - 10_000));
        RunLock.acquire(fs, out, holder("taker", now)).close();
        RunLockLostException gone = assertThrows(RunLockLostException.class, () -> late.heartbeat(now));
        assertEquals(true, gone.getMessage().contains("the lock is gone"), gone.getMessage());
        assertNull(RunLock.holder(fs, out, "r", 1));
        try (var left = Files.list(dir.resolve("_locks"))) {
            assertEquals(java.util.List.of(), left.map(Path::getFileName).map(Path::toString).toList(), "no lock or temp file left");
        }
    }

    @Test
    void aHolderSilentWithinAPeriodOfTheStaleBoundStopsWritingAndLeavesItsLockToGoStale() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        Path lock = dir.resolve("_locks/run_id=r");
        long now = System.currentTimeMillis();
        // its last beat 5.1 one-second periods back: a taker may judge it stale 0.9 s from now
        RunLock silent = RunLock.acquire(fs, out, holder("silent", now - 5_100));
        String before = Files.readString(lock);
        RunLockLostException stopped = assertThrows(RunLockLostException.class, () -> silent.heartbeat(now));
        // 5.1 s, and whatever the check itself took: it reads the clock after the lock
        assertEquals(true, stopped.getMessage().matches(".*lost its lock: this driver's last heartbeat was 5\\.[1-9] s ago, within a"
                + " period of the 6 s after which another may take the lock over.*"), stopped.getMessage());
        assertThrows(RunLockLostException.class, () -> silent.verify(now), "it stays stopped");
        silent.close();
        assertEquals(before, Files.readString(lock), "neither rewritten nor released: a taker may already be moving it");
        assertThrows(RunLockedException.class, () -> RunLock.acquire(fs, out, holder("early", System.currentTimeMillis())),
                "not stale yet");
        Thread.sleep(1_000);
        try (RunLock taker = RunLock.acquire(fs, out, holder("taker", System.currentTimeMillis()))) {
            assertEquals("taker", RunLock.holder(fs, out, "r", 1).attempt(), "stale: taken over");
        }

        // a beat that cannot be written (here its temp file's name is taken by a folder) does not count:
        // after five periods of them the holder stops, as takers judge the file and not the attempt
        long later = System.currentTimeMillis();
        RunLock failing = RunLock.acquire(fs, out, holder("failing", later - 4_000));
        Path beat = dir.resolve("_locks/.run_id=r.failing.beat");
        Files.createDirectory(beat);
        assertThrows(java.nio.file.FileSystemException.class, () -> failing.heartbeat(later), "4 s silent: it tries");
        assertThrows(RunLockLostException.class, () -> failing.heartbeat(later + 1_500), "5.5 s since the last beat written");
        assertEquals("failing", RunLock.holder(fs, out, "r", 1).attempt());
        assertEquals(later - 4_000, RunLock.holder(fs, out, "r", 1).heartbeatAt(), "the file as its last good beat left it");
    }
    @Test
    void aPauseBetweenReadingTheClockAndTheCheckCountsAsSilence() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.toUri());
        long before = System.currentTimeMillis() - 10_000; // the caller read the clock, then the process stopped for ten seconds
        RunLock paused = RunLock.acquire(fs, out, holder("paused", before)); // its last beat was then
        RunLockLostException lost = assertThrows(RunLockLostException.class, () -> paused.verify(before));
        assertEquals(true, lost.getMessage().contains("lost its lock: this driver's last heartbeat was 10."), lost.getMessage());
        paused.heartbeat(before); // stopped: writes no beat
        assertEquals(before, RunLock.holder(fs, out, "r", 1).heartbeatAt());
    }
}
