package org.ckaatlas.results;

import static org.ckaatlas.results.Attempts.grid;
import static org.ckaatlas.results.Attempts.holder;
import static org.ckaatlas.results.Attempts.row;
import static org.ckaatlas.results.Attempts.silence;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drivers paused at one exact statement while another takes their run over, and racing takers. Each test
 * drives the real code to the point where one process is "paused", runs the other process (a taker) to
 * completion or to a chosen file operation, then lets the paused one continue with exactly the statement it
 * would execute next. Every assertion states a guarantee of DESIGN.md's "Failure and publishing". The
 * disabled ones reproduce holes that are known and not closed yet (the README's publishing notes): enable
 * one to see it fail.
 *
 * <p>Two techniques besides the package-private steps RunPublisherTest already uses:
 * <ul>
 *   <li>private steps of a paused driver ({@code recover}, {@code replaceRunsRow}) are called by reflection,
 *       as the exact code it would run on waking;
 *   <li>{@link HookedFs}, a LocalFileSystem (scheme "file", so LocalDisk.holds it) that runs a callback just
 *       before/after one chosen {@code delete}/{@code rename}: the other process's steps land precisely
 *       between two statements of the hooked one.
 * </ul>
 */
class PublishRaceTest {
    @TempDir
    java.nio.file.Path dir;

    /** A local file system whose chosen calls first (or then) run the other process's steps. */
    public static class HookedFs extends LocalFileSystem {
        static volatile java.util.function.Predicate<Path> beforeDelete = p -> true;
        static volatile java.util.function.BiConsumer<Path, Path> beforeRename = (a, b) -> {};
        static volatile java.util.function.BiConsumer<Path, Path> afterRename = (a, b) -> {};

        @Override
        public boolean delete(Path f, boolean recursive) throws java.io.IOException {
            beforeDelete.test(f);
            return super.delete(f, recursive);
        }

        @Override
        public boolean rename(Path src, Path dst) throws java.io.IOException {
            beforeRename.accept(src, dst);
            boolean moved = super.rename(src, dst);
            afterRename.accept(src, dst);
            return moved;
        }

        static void reset() {
            beforeDelete = p -> true;
            beforeRename = (a, b) -> {};
            afterRename = (a, b) -> {};
        }
    }

    @AfterEach
    void resetHooks() {
        HookedFs.reset();
    }

    /** A configuration whose file system (for RunPublisher.open) is a fresh HookedFs. */
    private static Configuration hooked() {
        Configuration conf = new Configuration();
        conf.setClass("fs.file.impl", HookedFs.class, FileSystem.class);
        conf.setBoolean("fs.file.impl.disable.cache", true);
        return conf;
    }

    private static HookedFs hookedFs() throws Exception {
        HookedFs fs = new HookedFs();
        fs.initialize(URI.create("file:///"), new Configuration());
        return fs;
    }

    /** As {@link Attempts#running}, with a distinct attempt name (millisecond + pid) and no line on a lost lock. */
    private static RunPublisher running(String out, String runId, Configuration conf) throws Exception {
        Thread.sleep(2);
        RunPublisher publisher = Attempts.running(out, runId, conf);
        publisher.onLockLost(why -> {});
        return publisher;
    }

    private static Object call(Object target, String name, Class<?>[] types, Object... args) throws Exception {
        Method m = target.getClass().getDeclaredMethod(name, types);
        m.setAccessible(true);
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static Path staging(RunPublisher publisher) throws Exception {
        Field f = RunPublisher.class.getDeclaredField("staging");
        f.setAccessible(true);
        return (Path) f.get(publisher);
    }

    private static String describe(ResultReader reader, String runId) {
        try {
            GenericRecord run = reader.read(Table.RUNS, runId).get(0);
            return run.get("status") + " (attempt " + run.get("attempt") + ")";
        } catch (Exception e) {
            return "unreadable: " + e;
        }
    }

    private static Object grids(ResultReader reader, String runId) {
        try {
            return reader.read(Table.FEATURE_GRIDS, runId).stream().map(g -> g.get("image_id").toString()).toList();
        } catch (Exception e) {
            return e.getClass().getSimpleName();
        }
    }

    /**
     * A driver paused in its own roll-forward after reading its staged runs row, taken over (the taker rolls
     * it forward, then publishes its own attempt), wakes. It used to make its removed staging again (mkdirs,
     * a recursive create) and move a "publishing" row of the old attempt over the taker's succeeded row;
     * writeRunsRow now makes its scratch folder only inside a parent that exists.
     */
    @Test
    void aDriverWokenInItsOwnRollForwardAfterATakeoverMovesNoRowOverTheTakersSucceededRun() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        ResultReader reader = new ResultReader(out, conf);
        String secondAttempt;
        try (RunPublisher first = running(out, "w", conf)) {
            // publish(), by hand up to the pause: stage the final row, write the marker
            first.stage(Table.FEATURE_GRIDS, grid("first"));
            GenericRecord finalRow = row(Vocabulary.SUCCEEDED, first);
            first.stage(Table.RUNS, List.of(finalRow));
            first.commit(List.of(Table.RUNS, Table.FEATURE_GRIDS));
            // rollForward(staging): hasFile(stagedRuns), COMMITTED read, the publishing row made; then paused
            GenericData.Record publishing = new GenericData.Record((GenericData.Record) finalRow, true);
            publishing.put("status", Vocabulary.PUBLISHING);
            silence(dir.resolve("out"), "w");

            try (RunPublisher second = running(out, "w", conf)) { // rolls the first forward, then runs
                secondAttempt = second.holder().attempt();
                second.stage(Table.FEATURE_GRIDS, grid("second"));
                second.publish(row(Vocabulary.SUCCEEDED, second));
            }
            assertEquals(Vocabulary.SUCCEEDED + " (attempt " + secondAttempt + ")", describe(reader, "w"), "precondition");

            // the first driver wakes: replaceRunsRow(publishing, attemptDir, id), then the rest of rollForward
            assertThrows(java.nio.file.NoSuchFileException.class, () -> call(first, "replaceRunsRow",
                    new Class<?>[] {GenericRecord.class, Path.class, String.class}, publishing, staging(first), "w"),
                    "its staging, rolled forward and removed by the taker, is not made again");
            assertThrows(java.io.FileNotFoundException.class,
                    () -> first.replacePartition(Table.RUNS, new Path(staging(first), "runs"), "w"));
        }
        String afterWake = describe(reader, "w");
        RunPublisher.open(out, "w", conf, 3600).close(); // the next writer recovers
        String afterNextWriter = describe(reader, "w");
        assertEquals(Vocabulary.SUCCEEDED + " (attempt " + secondAttempt + ")", afterNextWriter,
                "guarantee 1: the taker's succeeded run keeps its runs row; after the paused driver woke it read "
                        + afterWake + ", after the next writer " + afterNextWriter + ", with feature_grids " + grids(reader, "w"));
    }

    /**
     * A driver paused in open() after taking the lock and before its recovery, taken over, wakes and recovers.
     * Without a lock check it deleted the live taker's staging and marked its running row abandoned, and the
     * taker then published "succeeded" without the tables it had staged; clean() now checks the lock first.
     */
    @Test
    void aDriverWokenBeforeItsRecoveryAfterATakeoverLeavesTheLiveTakerAlone() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        ResultReader reader = new ResultReader(out, conf);
        try (RunPublisher paused = RunPublisher.open(out, "v", conf, 3600)) {
            paused.onLockLost(why -> {});
            silence(dir.resolve("out"), "v");
            try (RunPublisher taker = running(out, "v", conf)) {
                taker.stage(Table.FEATURE_GRIDS, grid("taker"));
                java.nio.file.Path takerGrids = java.nio.file.Path.of(new Path(staging(taker), "feature_grids").toUri());
                assertTrue(Files.exists(takerGrids), "precondition");

                // the paused driver wakes and recovers: its lock is the taker's now, so it stops
                assertThrows(RunLockLostException.class, () -> call(paused, "recover", new Class<?>[] {}));

                String statusWhileLive = describe(reader, "v");
                boolean stagingKept = Files.exists(takerGrids);
                taker.publish(row(Vocabulary.SUCCEEDED, taker));
                Object published = grids(reader, "v");
                assertAll(
                        () -> assertTrue(stagingKept, "the live taker's staged feature_grids survive a woken driver"),
                        () -> assertEquals(Vocabulary.RUNNING + " (attempt " + taker.holder().attempt() + ")", statusWhileLive,
                                "guarantee 2/3: a live run is not marked abandoned by a driver that lost its lock"),
                        () -> assertEquals(List.of("taker"), published,
                                "guarantee 3: a run published as succeeded has the tables it staged"));
            }
        }
    }

    /**
     * Hole 3. clean() decides "not committed, so delete" in two steps (RunPublisher.java 320 and 323). A driver
     * paused after its last lock check in publish() (line 177), taken over, wakes in between: its
     * createNonRecursive finds the folder still there, so it commits and starts rolling forward; the taker's
     * recursive delete then removes the rest of the committed attempt. Past the point of no return, half of the
     * run is published over the previous succeeded run, whose runs row becomes "abandoned".
     */
    @Test
    @Disabled("known hole 3: clean() checks for the marker, then deletes; a marker landing between the two is half published (fenced lock generations would close it)")
    void aCommitMarkerLandingBetweenTheTakersCheckAndItsDeleteIsHalfPublishedAndTheOldRunIsLost() throws Exception {
        String out = dir.resolve("out").toString();
        Configuration conf = new Configuration();
        ResultReader reader = new ResultReader(out, conf);
        try (RunPublisher zero = running(out, "c", conf)) {
            zero.stage(Table.FEATURE_GRIDS, grid("zero"));
            zero.publish(row(Vocabulary.SUCCEEDED, zero));
        }
        try (RunPublisher paused = running(out, "c", conf)) { // a succeeded run is in place: no running row
            paused.stage(Table.FEATURE_GRIDS, grid("paused"));
            GenericRecord finalRow = row(Vocabulary.SUCCEEDED, paused);
            paused.stage(Table.RUNS, List.of(finalRow)); // publish() up to its lock check, which passes
            Path attempt = staging(paused);
            silence(dir.resolve("out"), "c");

            AtomicBoolean fired = new AtomicBoolean();
            AtomicReference<Exception> wokeFailed = new AtomicReference<>();
            HookedFs.beforeDelete = p -> {
                if (p.getName().equals(attempt.getName()) && fired.compareAndSet(false, true)) {
                    try { // the paused driver wakes: commit, then rollForward as far as its first table
                        paused.commit(List.of(Table.RUNS, Table.FEATURE_GRIDS));
                        GenericData.Record publishing = new GenericData.Record((GenericData.Record) finalRow, true);
                        publishing.put("status", Vocabulary.PUBLISHING);
                        call(paused, "replaceRunsRow", new Class<?>[] {GenericRecord.class, Path.class, String.class},
                                publishing, attempt, "c");
                        paused.replacePartition(Table.FEATURE_GRIDS, new Path(attempt, "feature_grids"), "c");
                    } catch (Exception e) {
                        wokeFailed.set(e);
                    }
                }
                return true;
            };
            Thread.sleep(2);
            RunPublisher.open(out, "c", hooked(), 3600).close(); // the taker's recovery, then it ends
            HookedFs.reset();
            assertTrue(fired.get(), "precondition: the taker deleted the paused attempt");
            assertNull(wokeFailed.get(), "precondition: the woken driver committed in a folder still there");
            // the rest of its rollForward: its staged runs row is gone
            assertThrows(java.io.FileNotFoundException.class, () -> paused.replacePartition(Table.RUNS, new Path(attempt, "runs"), "c"));
            assertTrue(paused.committed(), "it passed its point of no return");
        }
        String status = describe(reader, "c");
        assertTrue(status.startsWith(Vocabulary.SUCCEEDED),
                "guarantee 1/3: a committed attempt is rolled forward whole, or the previous succeeded run stays; found runs "
                        + status + " with feature_grids " + grids(reader, "c"));
    }

    /**
     * Hole 4. RunLock.close reads the lock, then deletes it (RunLock.java 201-203). A driver paused between the
     * two (its heartbeat already shut down, so its lock goes stale) deletes the taker's lock when it wakes: the
     * taker stops at its next check, and a third driver can take the run at once, inside the period the taker's
     * last check promised it.
     */
    @Test
    @Disabled("known hole 4: RunLock.close reads the lock, then deletes it (fenced lock generations would close it)")
    void aReleasePausedBetweenItsReadAndItsDeleteDeletesTheTakersLock() throws Exception {
        FileSystem plain = FileSystem.getLocal(new Configuration());
        HookedFs fs = hookedFs();
        Path out = new Path(dir.toUri());
        long now = System.currentTimeMillis();
        RunLock paused = RunLock.acquire(fs, out, holder("paused", now - 10_000)); // silent ten periods by the time
        AtomicReference<RunLock> taker = new AtomicReference<>();
        HookedFs.beforeDelete = p -> {
            if (p.getName().equals("run_id=r") && taker.get() == null) {
                try {
                    taker.set(RunLock.acquire(plain, out, holder("taker", System.currentTimeMillis())));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return true;
        };
        paused.close(); // read: its own; paused; the taker takes over; delete
        HookedFs.reset();
        RunLock.Holder now2 = RunLock.holder(plain, out, "r", 1);
        String thirdGot;
        try {
            RunLock third = RunLock.acquire(plain, out, holder("third", System.currentTimeMillis()));
            thirdGot = "a third driver took the run while the taker was live";
            third.close();
        } catch (RunLockedException e) {
            thirdGot = "refused";
        }
        String takerCheck;
        try {
            taker.get().verify(System.currentTimeMillis());
            takerCheck = "held";
        } catch (RunLockLostException e) {
            takerCheck = e.getMessage();
        }
        assertEquals("taker", now2 == null ? null : now2.attempt(),
                "guarantee: a driver that lost its lock never removes the new holder's; " + thirdGot + "; taker: " + takerCheck);
    }

    /**
     * Both takers read the dead lock; the first (a plain file system) takes it over just before the second
     * (on {@link HookedFs}) moves it aside to ".stale-second".
     */
    private static void firstTakesOverBeforeTheSecondMovesItAside(FileSystem plain, Path out, AtomicReference<RunLock> first) {
        HookedFs.beforeRename = (src, dst) -> {
            if (dst.getName().endsWith(".stale-second") && first.get() == null) {
                try {
                    first.set(RunLock.acquire(plain, out, holder("first", System.currentTimeMillis())));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /**
     * Hole 5 (two takers). acquire moves the lock aside, then puts a newcomer's back (RunLock.java 82-87). The
     * newcomer's lock is absent in between: if the newcomer ends in that window its close deletes nothing,
     * and the second taker then restores the lock of a run that has ended (guarantee 4).
     */
    @Test
    @Disabled("known hole 5: acquire moves a stale-looking lock aside, then back, and a newcomer's lock can be the one moved (fenced lock generations would close it)")
    void aNewcomerReleasingWhileASecondTakerHoldsItsLockAsideLeavesALockBehind() throws Exception {
        FileSystem plain = FileSystem.getLocal(new Configuration());
        HookedFs fs = hookedFs();
        Path out = new Path(dir.toUri());
        long now = System.currentTimeMillis();
        RunLock.acquire(plain, out, holder("dead", now - 10_000)); // a dead driver's stale lock
        AtomicReference<RunLock> first = new AtomicReference<>();
        firstTakesOverBeforeTheSecondMovesItAside(plain, out, first);
        HookedFs.afterRename = (src, dst) -> {
            if (dst.getName().endsWith(".stale-second")) {
                try {
                    first.get().close(); // the first's run ends while its lock is aside
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        assertThrows(RunLockedException.class, () -> RunLock.acquire(fs, out, holder("second", System.currentTimeMillis())));
        HookedFs.reset();
        RunLock.Holder left = RunLock.holder(plain, out, "r", 1);
        assertNull(left, "guarantee 4: no lock left behind by a run that ended; found " + (left == null ? null : left.describe()));
    }

    /**
     * Hole 5, its other face: a live newcomer's heartbeat (or any verify) in the same window finds no lock and
     * stops its run, though nobody took it; the restored lock then names a run that has stopped.
     */
    @Test
    @Disabled("known hole 5: acquire moves a stale-looking lock aside, then back, and a newcomer's lock can be the one moved (fenced lock generations would close it)")
    void aNewcomersHeartbeatWhileASecondTakerHoldsItsLockAsideStopsALiveRun() throws Exception {
        FileSystem plain = FileSystem.getLocal(new Configuration());
        HookedFs fs = hookedFs();
        Path out = new Path(dir.toUri());
        long now = System.currentTimeMillis();
        RunLock.acquire(plain, out, holder("dead", now - 10_000));
        AtomicReference<RunLock> first = new AtomicReference<>();
        AtomicReference<String> stopped = new AtomicReference<>();
        firstTakesOverBeforeTheSecondMovesItAside(plain, out, first);
        HookedFs.afterRename = (src, dst) -> {
            if (dst.getName().endsWith(".stale-second")) {
                try {
                    first.get().heartbeat(System.currentTimeMillis());
                } catch (RunLockLostException e) {
                    stopped.set(e.getMessage());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        assertThrows(RunLockedException.class, () -> RunLock.acquire(fs, out, holder("second", System.currentTimeMillis())));
        HookedFs.reset();
        assertNull(stopped.get(), "a live holder nobody took the lock from keeps running");
    }
}
