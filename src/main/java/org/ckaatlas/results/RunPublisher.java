package org.ckaatlas.results;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Writes one attempt at a run so that nothing published is ever lost and readers see a run whole or
 * not at all (DESIGN.md, "Failure and publishing").
 *
 * <ol>
 *   <li>{@link #open}: take the run id's lock; finish or remove what dead drivers left under
 *       {@code _staging}; start the heartbeat.
 *   <li>{@link #running}: the runs row says {@code running} (rewritten with each heartbeat) — unless the
 *       id already has a succeeded run, which stays visible, untouched, until this attempt succeeds.
 *   <li>Tables are written under {@code <out>/_staging/run_id=<id>/<attempt>/<table>} (readers ignore
 *       '_' folders): the small ones by the driver ({@link #stage}), the large ones by executors.
 *   <li>{@link #publish}: a {@code _COMMITTED} marker is the point of no return. Then the runs row says
 *       {@code publishing}, each table's partition is replaced by its staged folder (one rename each),
 *       and the final runs row goes last. A driver killed in between leaves the marker: the next
 *       writer into the same root rolls the publish forward. Nothing after the marker unpublishes.
 *   <li>{@link #fail}: the attempt's staging goes; the runs row says {@code failed} and why, or, over a
 *       published run, that run gains a {@code failed_attempts} note and stays as it was.
 * </ol>
 *
 * <p>A driver silent past the stale bound (paused, or cut off) may have been taken over. Its lock is a
 * lease ({@link RunLock#verify}), checked by each heartbeat, before each move of its own runs row into
 * place, and by publish before its marker: once the lock is another's, or this driver's last beat is
 * within a period of going stale, it stops ({@link #onLockLost}) and writes no runs row, so the run it
 * came back to stays the new holder's.
 */
public final class RunPublisher implements AutoCloseable {
    /** How long close waits for a heartbeat write in progress. */
    private static final int HEARTBEAT_STOP_SECONDS = 10;
    private static final String COMMITTED = "_COMMITTED";
    /** The name of a table partition's file when the driver writes it whole. */
    private static final String ONE_FILE = "part-00000.parquet";
    private static final DateTimeFormatter ATTEMPT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final Configuration conf;
    private final FileSystem fs;
    private final Path out;
    private final String runId;
    private final RunLock lock;
    private final Path staging;
    private final ScheduledExecutorService heartbeat;
    /** Our running row while it is the one in place (rewritten each heartbeat), else null. */
    private GenericRecord running;
    /** The succeeded run this attempt would replace, or null. */
    private GenericRecord published;
    private boolean committed;
    /** Numbers the scratch folders of runs rows: the heartbeat thread and the driver's both write them. */
    private final java.util.concurrent.atomic.AtomicInteger rewrites = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Consumer<String> onLockLost = why -> System.err.println("cka-atlas: " + why);

    private RunPublisher(Configuration conf, FileSystem fs, Path out, String runId, RunLock lock) {
        this.conf = conf;
        this.fs = fs;
        this.out = out;
        this.runId = runId;
        this.lock = lock;
        this.staging = new Path(out, "_staging/" + Table.partition(runId) + "/" + lock.holder().attempt());
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cka-atlas-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @param heartbeatSeconds how often the lock and the running row are rewritten; readers call a run
     *     abandoned after six periods without one
     * @throws RunLockedException when a live driver holds this run id
     */
    public static RunPublisher open(String out, String runId, Configuration conf, int heartbeatSeconds) throws IOException {
        Path root = new Path(out);
        FileSystem fs = root.getFileSystem(conf);
        root = fs.makeQualified(root);
        long now = System.currentTimeMillis();
        long pid = ProcessHandle.current().pid();
        RunLock.Holder me = new RunLock.Holder(runId, ATTEMPT.format(Instant.ofEpochMilli(now)) + "-" + pid, host(), pid,
                now, now, heartbeatSeconds);
        fs.mkdirs(root);
        RunLock lock = RunLock.acquire(fs, root, me);
        RunPublisher publisher = new RunPublisher(conf, fs, root, runId, lock);
        // beating from the start: finishing a dead driver's publish can outlast the stale bound
        publisher.heartbeat.scheduleWithFixedDelay(publisher::beat, heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS);
        try {
            publisher.recover();
            fs.mkdirs(publisher.staging);
        } catch (IOException | RuntimeException e) {
            publisher.close();
            throw e;
        }
        return publisher;
    }

    public RunLock.Holder holder() {
        return lock.holder();
    }

    /**
     * What to do when a heartbeat finds the lock taken over (this driver was paused or cut off past the
     * stale bound): stop the run. From then on this attempt writes no runs row and cannot publish.
     */
    public void onLockLost(Consumer<String> listener) {
        this.onLockLost = listener;
    }

    /** The staging folder of one table: executors write their part files here. */
    public Path stagingDir(Table table) throws IOException {
        Path dir = new Path(staging, table.dirName());
        fs.mkdirs(dir);
        return dir;
    }

    /** Records the attempt as running, unless a succeeded run of this id is in place (it stays until we succeed). */
    public synchronized void running(GenericRecord row) throws IOException {
        GenericRecord existing = readRunsRow(partition(Table.RUNS, runId));
        if (existing != null && Vocabulary.SUCCEEDED.equals(String.valueOf(existing.get("status")))) {
            published = existing;
            return;
        }
        running = withHeartbeat(row, System.currentTimeMillis());
        replaceOwnRunsRow(running);
    }

    /** Writes one small table, made on the driver, to the staging area. */
    public void stage(Table table, List<GenericRecord> rows) throws IOException {
        TableFiles.write(new Path(stagingDir(table), ONE_FILE), table.schema(), rows, conf);
    }

    /**
     * Publishes every staged table and the final runs row. Once this returns, or once it has passed its
     * commit marker, the run is published: a failure after that point is reported but unpublishes nothing.
     *
     * @return the tables published, in table order
     */
    public List<Table> publish(GenericRecord finalRow) throws IOException {
        synchronized (this) {
            running = null;
        }
        stage(Table.RUNS, List.of(withHeartbeat(finalRow, System.currentTimeMillis())));
        List<Table> staged = new ArrayList<>();
        for (Table table : Table.values()) {
            Path dir = new Path(staging, table.dirName());
            if (fs.exists(dir)) {
                staged.add(table);
                if (!hasFile(dir)) {
                    // no rows (no channel groups at all): one empty file, so every engine reads the partition's schema
                    TableFiles.write(new Path(dir, ONE_FILE), table.schema(), List.of(), conf);
                }
            }
        }
        lock.verify(System.currentTimeMillis()); // the last moment another attempt's run can be kept from this one's tables
        commit(staged);
        rollForward(staging);
        return staged;
    }

    /**
     * Writes the commit marker, in the staging folder as it is: a driver paused after its last lock check
     * and taken over finds that folder removed by the taker when it wakes, and must not make it again and
     * call its run published (Hadoop's plain create makes missing parents). Package-private for that test.
     *
     * @throws java.io.FileNotFoundException when the staging folder is gone; nothing is committed
     */
    void commit(List<Table> staged) throws IOException {
        try (OutputStream marker = fs.createNonRecursive(new Path(staging, COMMITTED), FsPermission.getFileDefault(),
                EnumSet.of(CreateFlag.CREATE), conf.getInt("io.file.buffer.size", 4096), fs.getDefaultReplication(staging),
                fs.getDefaultBlockSize(staging), null)) {
            marker.write(String.join("\n", staged.stream().map(Table::dirName).toList()).getBytes(StandardCharsets.UTF_8));
        }
        committed = true;
    }

    /** Whether this attempt passed its commit marker: it is (or will be, on the next writer's start) published. */
    public boolean committed() {
        return committed;
    }

    /**
     * Records this attempt's failure and removes what it staged. Does nothing once committed.
     *
     * @param failedRow the runs row of a failed attempt (status failed, error set)
     * @throws RunLockLostException when another attempt took the run over: only the staging goes
     */
    public synchronized void fail(GenericRecord failedRow) throws IOException {
        if (committed) {
            return;
        }
        running = null;
        fs.delete(staging, true);
        fs.mkdirs(staging); // a fresh folder for its scratch runs file below (the lock is checked before the move)
        GenericRecord row = failedRow;
        if (published != null) {
            GenericData.Record kept = new GenericData.Record((GenericData.Record) published, true);
            kept.put("failed_attempts", appendFailure(published.get("failed_attempts"), failedRow));
            row = kept;
        }
        try {
            replaceOwnRunsRow(row); // not over a new holder's row (RunLockLostException): then only the staging goes
        } finally {
            fs.delete(staging, true);
            deleteIfEmpty(staging.getParent());
        }
    }

    /**
     * Stops the heartbeat and releases the lock. A beat in progress is let finish: interrupting it
     * mid-write left the lock file truncated, so that close no longer recognised it as ours and left
     * it behind (FaultTest's SIGTERM run caught this, once in several). The wait ignores interrupts (a
     * run stopped by a signal closes from an interrupted thread) and gives up only on a beat hung on the
     * file system.
     */
    @Override
    public void close() throws IOException {
        heartbeat.shutdown();
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HEARTBEAT_STOP_SECONDS);
        while (!heartbeat.isTerminated()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                heartbeat.shutdownNow();
                break;
            }
            try {
                heartbeat.awaitTermination(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            lock.close();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One heartbeat: the lock, then the running row (the scheduler's task; package-private for a test). */
    synchronized void beat() {
        long now = System.currentTimeMillis();
        try {
            lock.heartbeat(now);
            if (running != null) {
                running = withHeartbeat(running, now);
                replaceOwnRunsRow(running);
            }
        } catch (RunLockLostException e) {
            running = null;
            heartbeat.shutdown();
            onLockLost.accept(e.getMessage());
        } catch (IOException | RuntimeException e) {
            System.err.println("cka-atlas: heartbeat of run " + runId + " not written: " + e.getMessage());
        }
    }

    /**
     * What dead drivers left under _staging: a committed attempt is published (rolled forward), any other
     * is removed, and a runs row it left saying running becomes abandoned. Live runs are not touched.
     */
    private void recover() throws IOException {
        Path root = new Path(out, "_staging");
        if (!fs.exists(root)) {
            return;
        }
        for (FileStatus runDir : fs.listStatus(root)) {
            String name = runDir.getPath().getName();
            if (!runDir.isDirectory() || !name.startsWith("run_id=")) {
                continue;
            }
            String id = name.substring("run_id=".length());
            if (id.equals(runId)) {
                clean(runDir.getPath(), id, lock);
                continue;
            }
            RunLock.Holder holder = RunLock.holder(fs, out, id, lock.holder().heartbeatSeconds());
            if (holder != null && !holder.isStale(System.currentTimeMillis())) {
                continue;
            }
            RunLock.Holder me = lock.holder();
            try (RunLock theirs = RunLock.acquire(fs, out, new RunLock.Holder(id, me.attempt(), me.host(), me.pid(),
                    me.startedAt(), System.currentTimeMillis(), me.heartbeatSeconds()))) {
                clean(runDir.getPath(), id, theirs);
            } catch (RunLockedException e) {
                // came back to life, or another writer is cleaning it: theirs to finish
            }
        }
    }

    /**
     * Rolls committed attempts of a run forward, removes the others, and marks a dead running row abandoned,
     * under {@code guard}, the run's lock, which is checked first: a driver paused in its start-up past the
     * stale bound, whose run was taken over meanwhile, must not clean up the live taker's attempt.
     */
    private void clean(Path runDir, String id, RunLock guard) throws IOException {
        guard.verify(System.currentTimeMillis());
        for (FileStatus attemptDir : fs.listStatus(runDir)) {
            if (attemptDir.getPath().getName().equals(lock.holder().attempt())) {
                continue;
            }
            if (fs.exists(new Path(attemptDir.getPath(), COMMITTED))) {
                rollForward(attemptDir.getPath(), id);
            } else {
                fs.delete(attemptDir.getPath(), true);
            }
        }
        GenericRecord row = readRunsRow(partition(Table.RUNS, id));
        String status = row == null ? null : String.valueOf(row.get("status"));
        if (Vocabulary.RUNNING.equals(status) || Vocabulary.PUBLISHING.equals(status)) {
            GenericData.Record dead = new GenericData.Record((GenericData.Record) row, true);
            dead.put("status", Vocabulary.ABANDONED);
            dead.put("finished_at", row.get("heartbeat_at"));
            dead.put("error", "the driver (pid " + row.get("pid") + " on " + row.get("host")
                    + ") stopped without a word after its last heartbeat: killed, or its machine lost");
            Path scratch = new Path(runDir, "_abandoned-" + lock.holder().attempt());
            newFolder(scratch);
            guard.verify(System.currentTimeMillis());
            replaceRunsRow(dead, scratch, id);
            fs.delete(scratch, true);
        }
        if (!id.equals(runId)) {
            deleteIfEmpty(runDir);
        }
    }

    private void rollForward(Path attemptDir) throws IOException {
        rollForward(attemptDir, runId);
    }

    /** Moves a committed attempt's tables into place: runs says publishing first and gets its final row last. */
    private void rollForward(Path attemptDir, String id) throws IOException {
        Path stagedRuns = new Path(attemptDir, Table.RUNS.dirName());
        // a staged folder with no file left has been moved into place already (publish stages a file in each,
        // and a one-file move leaves its folder empty until the folder goes): rolling forward skips it
        if (hasFile(stagedRuns)) {
            List<String> staged;
            try (InputStream in = fs.open(new Path(attemptDir, COMMITTED))) {
                staged = List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
            }
            GenericData.Record publishing = new GenericData.Record((GenericData.Record) readRunsRow(stagedRuns), true);
            publishing.put("status", Vocabulary.PUBLISHING);
            replaceRunsRow(publishing, attemptDir, id);
            for (Table table : Table.values()) {
                if (table == Table.RUNS) {
                    continue;
                }
                Path source = new Path(attemptDir, table.dirName());
                if (fs.exists(source)) {
                    if (hasFile(source)) {
                        replacePartition(table, source, id);
                    }
                } else if (!staged.contains(table.dirName())) {
                    fs.delete(partition(table, id), true); // the old run had it, this one not
                }
            }
            replacePartition(Table.RUNS, stagedRuns, id);
        }
        fs.delete(attemptDir, true);
        deleteIfEmpty(attemptDir.getParent());
    }

    /**
     * This attempt's own runs row (running, or failed): the lock is checked between writing it aside and
     * moving it in, so that a driver paused at any point before the move writes nothing over a new holder's.
     *
     * @throws RunLockLostException when the lock is no longer this attempt's; nothing is moved
     */
    private void replaceOwnRunsRow(GenericRecord row) throws IOException {
        Path dir = writeRunsRow(row, staging);
        lock.verify(System.currentTimeMillis());
        replacePartition(Table.RUNS, dir, runId);
    }

    /** Writes a one-row runs file next to the scratch folder, then swaps it in for run {@code id}'s partition. */
    private void replaceRunsRow(GenericRecord row, Path scratchParent, String id) throws IOException {
        replacePartition(Table.RUNS, writeRunsRow(row, scratchParent), id);
    }

    /**
     * A one-row runs file in a new folder inside {@code scratchParent}, which must exist: a scratch folder that
     * another attempt removed (this one paused, and taken over) is not made again, so no row of this attempt
     * can then be moved over the taker's.
     */
    private Path writeRunsRow(GenericRecord row, Path scratchParent) throws IOException {
        Path dir = new Path(scratchParent, "_runs-" + rewrites.getAndIncrement());
        fs.delete(dir, true);
        newFolder(dir);
        TableFiles.write(new Path(dir, ONE_FILE), Table.RUNS.schema(), List.of(row), conf, true);
        return dir;
    }

    /** Makes {@code dir} in its parent, which must exist (made again, on file systems that cannot tell: not local disks). */
    private void newFolder(Path dir) throws IOException {
        if (LocalDisk.holds(fs)) {
            Files.createDirectory(LocalDisk.path(fs, dir)); // NoSuchFileException when the parent is gone
        } else {
            fs.mkdirs(dir);
        }
    }

    /**
     * One table's partition of run {@code id} becomes the folder {@code source}. On a local disk nothing is
     * deleted before the new rows are in place: one file replacing one file (the runs row at each heartbeat,
     * a small table over a published run's) is moved over it, so a reader finds the old file or the new one,
     * never an empty partition; a folder is moved in after the old one has moved aside, which goes once it
     * has. Other file systems swap the folder (a delete, then a rename).
     *
     * <p>A source that is gone moves nothing and deletes nothing. That is what a driver paused after its lock
     * check finds when it wakes, taken over meanwhile: the taker removed its staging. The old code then took
     * the folder branch and deleted the taker's runs row before its rename failed (FaultTest's SIGSTOP run,
     * once). Package-private for that test.
     *
     * @throws java.io.FileNotFoundException when {@code source} is gone; the partition is as it was
     */
    void replacePartition(Table table, Path source, String id) throws IOException {
        Path target = partition(table, id);
        FileStatus[] sourceFiles = visibleFiles(source); // throws when gone, before anything moves
        if (!LocalDisk.holds(fs)) {
            fs.delete(target, true);
            fs.mkdirs(target.getParent());
            if (!fs.rename(source, target)) {
                throw new IOException("could not move " + source + " to " + target);
            }
            return;
        }
        java.nio.file.Path from = LocalDisk.path(fs, source);
        java.nio.file.Path to = LocalDisk.path(fs, target);
        // every move below is one rename(2), which fails on a source gone since it was listed
        if (isOneFile(sourceFiles) && isOneFile(target)) {
            // table files are written without .crc sidecars (ClosableOutputFile writes through the raw file
            // system); one another writer left would disagree with the new bytes, so it goes
            Files.deleteIfExists(checksumOf(from.resolve(ONE_FILE)));
            Files.deleteIfExists(checksumOf(to.resolve(ONE_FILE)));
            Files.move(from.resolve(ONE_FILE), to.resolve(ONE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fs.delete(source, true);
            return;
        }
        java.nio.file.Path aside = from.resolveSibling(from.getFileName() + ".replaced");
        boolean replacing = Files.exists(to);
        if (replacing) {
            Files.move(to, aside, StandardCopyOption.ATOMIC_MOVE);
        } else {
            Files.createDirectories(to.getParent());
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE); // onto a folder another made meanwhile: fails
        } catch (IOException e) {
            if (replacing) {
                Files.move(aside, to, StandardCopyOption.ATOMIC_MOVE); // the old rows back
            }
            throw e;
        }
        if (replacing) {
            fs.delete(new Path(aside.toUri()), true);
        }
    }

    /** Whether {@code dir} exists and holds a Parquet file. */
    private boolean hasFile(Path dir) throws IOException {
        return fs.exists(dir) && fs.globStatus(new Path(dir, "*.parquet")).length > 0;
    }

    /** The files and folders in {@code dir} that readers see (sidecars and '_' files aside). */
    private FileStatus[] visibleFiles(Path dir) throws IOException {
        return fs.listStatus(dir, p -> !p.getName().startsWith(".") && !p.getName().startsWith("_"));
    }

    /** A folder holding exactly one visible file, {@value #ONE_FILE}. */
    private boolean isOneFile(Path dir) throws IOException {
        try {
            return isOneFile(visibleFiles(dir));
        } catch (java.io.FileNotFoundException e) {
            return false;
        }
    }

    private static boolean isOneFile(FileStatus[] files) {
        return files.length == 1 && files[0].isFile() && files[0].getPath().getName().equals(ONE_FILE);
    }

    private static java.nio.file.Path checksumOf(java.nio.file.Path file) {
        return file.resolveSibling("." + file.getFileName() + ".crc");
    }

    /** Where run {@code id}'s rows of {@code table} are published. */
    private Path partition(Table table, String id) {
        return new Path(table.partitionPath(out.toString(), id));
    }

    private GenericRecord readRunsRow(Path dir) throws IOException {
        if (!fs.exists(dir)) {
            return null;
        }
        List<GenericRecord> rows = ResultReader.readFolder(dir, Table.RUNS, conf);
        return rows.isEmpty() ? null : rows.get(0);
    }

    private static GenericRecord withHeartbeat(GenericRecord row, long now) {
        GenericData.Record copy = new GenericData.Record((GenericData.Record) row, true);
        copy.put("heartbeat_at", now);
        return copy;
    }

    private static String appendFailure(Object previous, GenericRecord failed) {
        com.google.gson.JsonArray list = previous == null ? new com.google.gson.JsonArray()
                : com.google.gson.JsonParser.parseString(previous.toString()).getAsJsonArray();
        com.google.gson.JsonObject entry = new com.google.gson.JsonObject();
        entry.addProperty("attempt", String.valueOf(failed.get("attempt")));
        entry.addProperty("started_at", Instant.ofEpochMilli((Long) failed.get("started_at")).toString());
        Object finished = failed.get("finished_at");
        entry.addProperty("finished_at", finished == null ? null : Instant.ofEpochMilli((Long) finished).toString());
        entry.addProperty("error", String.valueOf(failed.get("error")));
        list.add(entry);
        return list.toString();
    }

    private void deleteIfEmpty(Path dir) {
        try {
            if (fs.exists(dir) && fs.listStatus(dir).length == 0) {
                fs.delete(dir, false);
            }
        } catch (IOException e) {
            // another attempt just created something there: it is theirs
        }
    }

    private static String host() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
            } catch (IOException e) {
                host = "localhost";
            }
        }
        return host;
    }
}
