package org.ckaatlas.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.ImageDecoder;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.results.ResultReader;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.Vocabulary;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a run can die, with real Spark and real processes: each ends with a runs row that says
 * what happened, nothing published lost, and the next run cleaning up after the dead one.
 */
class FaultTest {
    @TempDir
    static Path dir;

    static Path data;

    @BeforeAll
    static void sampleData() throws Exception {
        data = dir.resolve("data");
        SampleData.write(data, 3, 12, 5);
    }

    private static List<String> args(Path out, String runId, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--data", data.toString(), "--out", out.toString(), "--run-id", runId,
                "--model", Cli.TINY_MODEL, "--batch-size", "4", "--bootstrap", "20", "--quiet", "--no-render",
                "--master", "local[1]"));
        args.addAll(List.of(extra));
        return args;
    }

    /** A run in its own JVM (the launcher), slow enough to be caught mid-job: the built-in VGG11 at 224. */
    private static Process slowRun(Path out, String runId) throws IOException {
        return slowRun(out, runId, 1, 4);
    }

    /** A JVM that crashes writes its hs_err file to {@link #crashLog}. */
    private static Process slowRun(Path out, String runId, int heartbeatSeconds, int batchSize) throws IOException {
        List<String> args = args(out, runId, "--channel-cka", "summary");
        args.set(args.indexOf(Cli.TINY_MODEL), "vgg11:seed=0");
        args.set(args.indexOf("--batch-size") + 1, String.valueOf(batchSize));
        return launch(runId, "-Xmx1500m -Dckaatlas.heartbeatSeconds=" + heartbeatSeconds + " -XX:ErrorFile=" + crashLog(runId), args);
    }

    private static Path crashLog(String runId) {
        return dir.resolve(runId + "-hs_err.log");
    }

    private static GenericRecord runsRow(Path out, String runId) throws IOException {
        List<GenericRecord> rows = new ResultReader(out.toString(), new Configuration()).read(Table.RUNS, runId);
        assertEquals(1, rows.size());
        return rows.get(0);
    }

    /** Waits until the run's row says running and its job is under way. */
    private static void awaitRunning(Process p, Path out, String runId) throws Exception {
        Path runs = Path.of(Table.RUNS.partitionPath(out.toString(), runId));
        for (int i = 0; i < 600 && !Files.exists(runs); i++) {
            assertTrue(p.isAlive(), "the run ended early: " + Files.readString(dir.resolve(runId + ".log")));
            Thread.sleep(100);
        }
        assertEquals("running", runsRow(out, runId).get("status").toString());
        Thread.sleep(1500);
        assertTrue(p.isAlive(), "the run ended before it could be stopped");
    }

    private static String lockAndLog(Path out, String runId) {
        try {
            return Files.readString(out.resolve("_locks/run_id=" + runId)) + "\n" + log(runId);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String logOf(String runId) {
        try {
            return log(runId);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String log(String runId) throws IOException {
        return Files.readString(dir.resolve(runId + ".log"), StandardCharsets.UTF_8);
    }

    @Test
    void sigtermMidRunFailsTheRunWithAReasonAndExitCode3() throws Exception {
        Path out = dir.resolve("term");
        // batches of 16 at 224: the forward in flight when the run has failed outlasts the way to exit
        Process p = slowRun(out, "term", 1, 16);
        awaitRunning(p, out, "term");
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(90, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), log("term"));
        assertFalse(Files.exists(crashLog("term")), () -> "the JVM exited under a forward and crashed: " + crashLog("term"));
        GenericRecord row = runsRow(out, "term");
        assertEquals("failed", row.get("status").toString());
        assertEquals("stopped by SIGTERM", row.get("error").toString());
        assertFalse(Files.exists(out.resolve("_staging/run_id=term")), "staging removed");
        assertFalse(Files.exists(out.resolve("_locks/run_id=term")), () -> "lock released: " + lockAndLog(out, "term"));
    }

    @Test
    void killMinus9LeavesARunThatReadsAbandonedAndTheNextRunCleansUp() throws Exception {
        Path out = dir.resolve("kill");
        Process p = slowRun(out, "killed");
        awaitRunning(p, out, "killed");
        p.toHandle().destroyForcibly(); // SIGKILL: nothing runs in the victim
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(out.resolve("_staging/run_id=killed")));
        Thread.sleep(7000); // six missed heartbeats of one second
        String sql = Cli.expect(0, List.of("sql", "--out", out.toString(), "--format", "csv",
                "SELECT run_id, status FROM runs")).out();
        assertTrue(sql.contains("killed,abandoned"), sql);

        // the next driver of the same deployment, with the same heartbeat (a lock cut short mid-rewrite is
        // judged at the reader's period)
        Process next = launch("next", "-Xmx1500m -Dckaatlas.heartbeatSeconds=1", args(out, "next"));
        assertTrue(next.waitFor(3, TimeUnit.MINUTES));
        assertEquals(0, next.exitValue(), log("next"));
        assertFalse(Files.exists(out.resolve("_staging/run_id=killed")), "the dead run's staging is removed");
        GenericRecord row = runsRow(out, "killed");
        assertEquals("abandoned", row.get("status").toString());
        assertTrue(row.get("error").toString().contains("stopped without a word"), row.toString());
    }

    @Test
    void aSecondStartOfTheSameRunIdIsRefusedAndTheFirstRunsRowsAreIntact() throws Exception {
        Path out = dir.resolve("twice");
        Process first = slowRun(out, "same", 5, 4); // a lock 30 s from stale: a stalled heartbeat cannot hand it over
        awaitRunning(first, out, "same");
        Cli.Outcome second = Cli.expect(2, args(out, "same", "--seed", "1"));
        assertTrue(second.err().contains("is already running") && second.err().contains("pid " + first.pid()), second.err());
        assertTrue(first.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, first.exitValue(), log("same"));
        assertEquals("succeeded", runsRow(out, "same").get("status").toString());
        assertFalse(new ResultReader(out.toString(), new Configuration()).read(Table.LAYER_CKA, "same").isEmpty());
    }

    @Test
    void aDriverPausedPastTheStaleBoundIsTakenOverAndWhenItWakesItStopsAndTheNewRunStands() throws Exception {
        Path out = dir.resolve("paused");
        Process paused = slowRun(out, "paused"); // one-second heartbeats: stale after six seconds of silence
        awaitRunning(paused, out, "paused");
        signal(paused, "STOP"); // a stopped process, as a long GC pause or a cut-off network would leave it
        Cli.Outcome taker;
        try {
            Thread.sleep(7000);
            taker = Cli.expect(0, args(out, "paused")); // judges it dead and runs the same id through
        } finally {
            signal(paused, "CONT");
        }
        GenericRecord published = runsRow(out, "paused");
        String rows = new ResultReader(out.toString(), new Configuration()).read(Table.LAYER_CKA, "paused").toString();

        assertTrue(paused.waitFor(90, TimeUnit.SECONDS), "the woken driver stops");
        assertEquals(3, paused.exitValue(), log("paused"));
        assertTrue(log("paused").contains("lost its lock: the lock is gone"), log("paused"));
        assertFalse(Files.exists(crashLog("paused")), () -> "crashed: " + crashLog("paused"));
        GenericRecord row = runsRow(out, "paused");
        assertEquals("succeeded", row.get("status").toString(), taker.err());
        assertEquals(published.get("attempt").toString(), row.get("attempt").toString(), "the taker's row, not the woken one's");
        assertFalse(row.get("attempt").toString().endsWith("-" + paused.pid()));
        assertEquals(rows, new ResultReader(out.toString(), new Configuration()).read(Table.LAYER_CKA, "paused").toString());
        assertFalse(Files.exists(out.resolve("_staging/run_id=paused")), "no staging left");
        assertFalse(Files.exists(out.resolve("_locks/run_id=paused")), "no lock left");
    }

    @Test
    void aDriverPausedToWithinAPeriodOfTheStaleBoundStopsWhenItWakesAndTheRunIsFreeOnceStale() throws Exception {
        Path out = dir.resolve("near");
        Process paused = slowRun(out, "near"); // one-second heartbeats: stale after six seconds, given up after five
        awaitRunning(paused, out, "near");
        signal(paused, "STOP");
        try {
            Thread.sleep(5500); // no one takes it over meanwhile: it was the lock's holder all along
        } finally {
            signal(paused, "CONT");
        }
        assertTrue(paused.waitFor(90, TimeUnit.SECONDS), "the woken driver stops");
        assertEquals(3, paused.exitValue(), log("near"));
        assertTrue(log("near").contains("lost its lock: this driver's last heartbeat was")
                && log("near").contains("so it stops rather than race a taker"), log("near"));
        assertEquals(1, log("near").lines().filter(l -> l.contains("lost its lock")).count(), () -> "one line says why: " + logOf("near"));
        assertFalse(Files.exists(out.resolve("_staging/run_id=near")), "its staging removed");
        GenericRecord left = runsRow(out, "near");
        assertEquals("running", left.get("status").toString(), "no row written after it gave the lock up");
        Thread.sleep(1500); // the lock it left is stale now: readers show the run abandoned, a rerun takes it
        assertEquals("abandoned", Vocabulary.shownStatus(left.get("status").toString(), (Long) left.get("heartbeat_at"),
                (Integer) left.get("heartbeat_seconds"), System.currentTimeMillis()));
        Cli.Outcome rerun = Cli.expect(0, args(out, "near"));
        assertEquals("succeeded", runsRow(out, "near").get("status").toString(), rerun.err());
        assertFalse(Files.exists(out.resolve("_locks/run_id=near")), "the rerun released its lock");
    }

    private static void signal(Process p, String name) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, String.valueOf(p.pid())).inheritIO().start().waitFor());
    }

    @Test
    void aFailedRerunKeepsThePublishedRunWholeAndNotesItsFailure() throws Exception {
        Path out = dir.resolve("rerun");
        Cli.expect(0, args(out, "night"));
        ResultReader reader = new ResultReader(out.toString(), new Configuration());
        String before = reader.read(Table.LAYER_CKA, "night").toString();
        Path broken = dir.resolve("broken-data/c0");
        Files.createDirectories(broken);
        for (int i = 0; i < 8; i++) {
            Files.writeString(broken.resolve("not-an-image-" + i + ".jpg"), "no pixels here");
        }
        List<String> rerun = args(out, "night");
        rerun.set(rerun.indexOf(data.toString()), dir.resolve("broken-data").toString());
        Cli.Outcome failed = Cli.expect(3, rerun);
        assertTrue(failed.err().contains("failed to decode"), failed.err());
        assertEquals(before, reader.read(Table.LAYER_CKA, "night").toString(), "the published rows are unchanged");
        GenericRecord row = runsRow(out, "night");
        assertEquals("succeeded", row.get("status").toString());
        assertTrue(row.get("failed_attempts").toString().contains("failed to decode"), row.toString());
    }

    /**
     * A re-run that fills its disk: a 3 MB tmpfs holds a small published run, then per-image channel
     * matrices of 512-channel layers overflow it. Needs root and mount(8); skips loudly where they are missing.
     */
    @Test
    void aFullDiskFailsTheRerunFreesItsSpaceAndKeepsThePublishedRun() throws Exception {
        Path out = dir.resolve("full");
        Files.createDirectories(out);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", out.toString())
                .redirectErrorStream(true).start();
        String mountSaid = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (mount.waitFor() != 0) {
            System.err.println("FaultTest: SKIPPED the full-disk test: cannot mount a tmpfs here (" + mountSaid + ")");
            Assumptions.abort("cannot mount a tmpfs: " + mountSaid);
        }
        try {
            Cli.expect(0, args(out, "night"));
            ResultReader reader = new ResultReader(out.toString(), new Configuration());
            String before = reader.read(Table.LAYER_CKA, "night").toString();
            List<String> rerun = args(out, "night", "--channel-cka", "images");
            rerun.set(rerun.indexOf(Cli.TINY_MODEL), "vgg11:seed=0,input=32");
            Cli.Outcome failed = Cli.expect(3, rerun);
            assertTrue(failed.err().contains("No space left on device"), failed.err());
            assertEquals(before, reader.read(Table.LAYER_CKA, "night").toString(), "the published rows are unchanged");
            GenericRecord row = runsRow(out, "night");
            assertEquals("succeeded", row.get("status").toString());
            assertTrue(row.get("failed_attempts").toString().contains("No space left on device"), row.toString());
            assertFalse(Files.exists(out.resolve("_staging/run_id=night")), "staging removed");
            assertFalse(Files.exists(out.resolve("_locks/run_id=night")), "lock released");
            // the aborted part files' descriptors are closed, so their space is back (a deleted file that
            // is still open keeps its blocks)
            assertTrue(Files.getFileStore(out).getUsableSpace() > 2_500_000L, () -> "space freed: " + usage(out));
        } finally {
            new ProcessBuilder("umount", "-l", out.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * A task out of heap in local mode, where the executor is the driver's JVM (Spark would exit it with
     * 52): one batch of 700 images at 192 x 192, whose decoded images (310 MB) and the input they are
     * packed into (as much again) exceed a 512 MB heap. Each image alone fits, so the batch, not an
     * image, runs out.
     */
    @Test
    void aTaskOutOfMemoryFailsTheRunWithOneLineAndExitCode3() throws Exception {
        Path many = dir.resolve("many-data");
        SampleData.write(many, 2, 350, 1);
        Path out = dir.resolve("oom");
        List<String> args = args(out, "oom", "--channel-cka", "summary");
        args.set(args.indexOf("--batch-size") + 1, "700");
        args.set(args.indexOf(data.toString()), many.toString());
        args.set(args.indexOf(Cli.TINY_MODEL), "vgg11:seed=0,input=192");
        Process p = launch("oom", "-Xmx512m", args);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        assertEquals(3, p.exitValue(), log("oom"));
        String error = runsRow(out, "oom").get("error").toString();
        assertTrue(error.startsWith("a task ran out of memory (Java heap space) on batch 0 of scope global (700 images)"), error);
        assertTrue(log("oom").contains("run oom failed: " + error), log("oom"));
        assertFalse(Files.exists(out.resolve("_staging/run_id=oom")), "staging removed");
        assertFalse(Files.exists(out.resolve("_locks/run_id=oom")), "lock released");
    }

    /** An image the heap cannot decode, under a decode budget raised past it, is one failed image that says so. */
    @Test
    void anImageTooBigForTheHeapIsAFailedImageThatSaysSo() throws Exception {
        Path big = dir.resolve("big-data/c0");
        Files.createDirectories(big);
        writeBlankPng16(big.resolve("huge.png"), 8000, 8000); // 489 MiB decoded
        try (var someClass = Files.list(data); var images = Files.list(someClass.sorted().findFirst().orElseThrow())) {
            for (Path image : images.sorted().limit(8).toList()) {
                Files.copy(image, big.resolve(image.getFileName()));
            }
        }
        Path out = dir.resolve("huge");
        List<String> args = args(out, "huge", "--max-failed-fraction", "0.5");
        args.set(args.indexOf(data.toString()), big.getParent().toString());
        Process p = launch("huge", "-Xmx512m -D" + ImageDecoder.BUDGET_PROPERTY + "=" + (4L << 30), args);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), log("huge"));
        String sql = Cli.expect(0, List.of("sql", "--out", out.toString(), "--format", "csv",
                "SELECT image_id, error FROM images WHERE status = 'failed'")).out();
        assertTrue(sql.contains("huge.png,out of memory decoding 8000x8000 16-bit RGBA (489 MiB): lower ckaatlas.decodeBudgetBytes"), sql);
    }

    /** The launcher in its own JVM, with {@code javaOpts}; output to {@code <name>.log}. */
    private static Process launch(String name, String javaOpts, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", "scripts/cka-atlas"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("CKA_JAVA_OPTS", javaOpts);
        return pb.start();
    }

    private static String usage(Path out) {
        try (var files = Files.walk(out)) {
            return Files.getFileStore(out).getUsableSpace() + " bytes free; " + files.map(f -> f + " " + f.toFile().length())
                    .toList() + "; open: " + new String(new ProcessBuilder("bash", "-c", "ls -l /proc/self/../" + ProcessHandle.current().pid()
                            + "/fd | grep " + out).start().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A PNG of zeros, 16 bits per RGBA sample, streamed: a few hundred KB on disk, 8 bytes a pixel decoded. */
    private static void writeBlankPng16(Path file, int width, int height) throws IOException {
        try (java.io.DataOutputStream png = new java.io.DataOutputStream(
                new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
            png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(13).putInt(width).putInt(height)
                    .put((byte) 16).put((byte) 6).put((byte) 0).put((byte) 0).put((byte) 0);
            pngChunk(png, "IHDR", header.array());
            java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
            try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(idat)) {
                byte[] row = new byte[1 + width * 8]; // filter byte 0, then zeros
                for (int y = 0; y < height; y++) {
                    z.write(row);
                }
            }
            pngChunk(png, "IDAT", idat.toByteArray());
            pngChunk(png, "IEND", new byte[0]);
        }
    }

    private static void pngChunk(java.io.DataOutputStream png, String type, byte[] data) throws IOException {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(name);
        crc.update(data);
        png.writeInt(data.length);
        png.write(name);
        png.write(data);
        png.writeInt((int) crc.getValue());
    }

    @Test
    void aSparkJobAbortFailsTheRunWithOneLineAndExitCode3() throws Exception {
        Path out = dir.resolve("abort");
        Cli.Outcome outcome = Cli.expect(3, args(out, "gpu", "--device", "gpu"));
        GenericRecord row = runsRow(out, "gpu");
        assertEquals("failed", row.get("status").toString());
        String error = row.get("error").toString();
        assertTrue(error.startsWith("--device gpu: no usable CUDA device"), error);
        assertFalse(error.contains("\n"), error);
        assertTrue(outcome.err().contains(error), outcome.err());
    }

    @Test
    void aPublishCutShortAfterItsCommitIsFinishedByTheNextRun() throws Exception {
        Path out = dir.resolve("cut");
        Files.createDirectories(out);
        Files.writeString(out.resolve("layer_cka"), "a file where a table's folder must go: the moves fail part-way");
        Cli.Outcome cut = Cli.expect(3, args(out, "cut"));
        assertTrue(cut.err().contains("committed"), cut.err());
        assertEquals("publishing", runsRow(out, "cut").get("status").toString());
        String sql = Cli.expect(0, List.of("sql", "--out", out.toString(), "--format", "csv",
                "SELECT count(*) AS n FROM images WHERE run_id = 'cut'")).out();
        assertTrue(sql.contains("\n0"), "a publishing run is not visible: " + sql);
        // a raw reader sees the moved rows, and the README's join on a succeeded runs row hides them
        String raw = "SELECT count(*) FROM read_parquet('" + out + "/images/*/*.parquet', hive_partitioning = true) i";
        String joined = raw + " JOIN read_parquet('" + out + "/runs/*/*.parquet', hive_partitioning = true, union_by_name = true) r"
                + " ON r.run_id = i.run_id AND r.status = 'succeeded'";
        try (java.sql.Connection duck = java.sql.DriverManager.getConnection("jdbc:duckdb:");
                java.sql.Statement st = duck.createStatement()) {
            java.sql.ResultSet all = st.executeQuery(raw + " WHERE i.run_id = 'cut'");
            all.next();
            assertTrue(all.getLong(1) > 0, "the images table moved before the cut");
            java.sql.ResultSet visible = st.executeQuery(joined + " WHERE i.run_id = 'cut'");
            visible.next();
            assertEquals(0L, visible.getLong(1));
        }

        Files.delete(out.resolve("layer_cka"));
        Cli.expect(0, args(out, "after"));
        assertEquals("succeeded", runsRow(out, "cut").get("status").toString());
        ResultReader reader = new ResultReader(out.toString(), new Configuration());
        for (Table table : List.of(Table.IMAGES, Table.LAYERS, Table.HSIC_BATCHES, Table.LAYER_CKA, Table.CHANNEL_CKA)) {
            assertFalse(reader.read(table, "cut").isEmpty(), table.dirName());
        }
        assertFalse(Files.exists(out.resolve("_staging/run_id=cut")));
    }

    @Test
    void aClusterRequestThatCanNeverBeScheduledEndsWithinItsBound() throws Exception {
        Path out = dir.resolve("unschedulable");
        long start = System.nanoTime();
        Cli.Outcome outcome = Cli.expect(3, List.of("run", "--data", data.toString(), "--out", out.toString(),
                "--run-id", "big", "--model", Cli.TINY_MODEL, "--quiet", "--no-render", "--master", "local-cluster[1,1,1024]",
                "--conf", "spark.executor.cores=2", "--conf", "spark.ckaatlas.scheduleTimeout=5"));
        assertTrue((System.nanoTime() - start) / 1e9 < 60, "ended within its bound");
        assertTrue(outcome.err().contains("spark.executor.cores=2"), outcome.err());
        assertEquals("failed", runsRow(out, "big").get("status").toString());
    }
}
