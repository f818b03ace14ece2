package org.ckaatlas.results;

import com.google.gson.Gson;
import com.google.gson.JsonSyntaxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One live run per run id and output root: {@code <out>/_locks/run_id=<id>}, created only if absent (a
 * hard link on local disks, HDFS's exclusive create elsewhere), holding the driver's host, pid, attempt
 * and a heartbeat it rewrites every few seconds. A lock whose heartbeat is stale belongs to a driver
 * that died (kill -9, power loss) and is taken over.
 */
public final class RunLock implements AutoCloseable {
    private static final Gson JSON = new Gson();
    /** A lock that cannot be read is read again this often before it is judged by its file time. */
    private static final int UNREADABLE_TRIES = 5;
    private static final long UNREADABLE_RETRY_MILLIS = 100;

    /** What a lock file says. A reader treats an unreadable one by the file's modification time. */
    public record Holder(String runId, String attempt, String host, long pid, long startedAt, long heartbeatAt,
            int heartbeatSeconds) {
        /** No heartbeat for {@link Vocabulary#STALE_HEARTBEATS} periods: the driver is gone. */
        public boolean isStale(long now) {
            return Vocabulary.isStale(heartbeatAt, heartbeatSeconds, now);
        }

        public String describe() {
            return "attempt " + attempt + " of driver pid " + pid + " on " + host + ", heartbeat "
                    + java.time.Instant.ofEpochMilli(heartbeatAt);
        }
    }

    private final FileSystem fs;
    private final Path path;
    private Holder holder;
    private boolean held = true;
    /** Why this attempt lost the lock to another, or null. */
    private String lost;

    private RunLock(FileSystem fs, Path path, Holder holder) {
        this.fs = fs;
        this.path = path;
        this.holder = holder;
    }

    public static Path path(Path out, String runId) {
        return new Path(out, "_locks/" + Table.partition(runId));
    }

    /**
     * Takes the lock of {@code runId}, taking over a stale one.
     *
     * @throws RunLockedException when a live driver holds it
     */
    public static RunLock acquire(FileSystem fs, Path out, Holder me) throws IOException {
        Path path = path(out, me.runId());
        fs.mkdirs(path.getParent());
        for (int tries = 0; tries < 3; tries++) {
            if (createIfAbsent(fs, path, me)) {
                return new RunLock(fs, path, me);
            }
            Holder other = read(fs, path, me.heartbeatSeconds());
            if (other == null) {
                continue; // released meanwhile
            }
            if (!other.isStale(System.currentTimeMillis())) {
                throw new RunLockedException("run " + me.runId() + " is already running: " + other.describe()
                        + " (lock " + path + ")");
            }
            // stale: move it aside, then check that what moved is the stale lock and not a newcomer's
            Path aside = new Path(path.getParent(), "." + path.getName() + ".stale-" + me.attempt());
            if (fs.rename(path, aside)) {
                Holder moved = read(fs, aside, me.heartbeatSeconds());
                if (moved != null && !moved.attempt().equals(other.attempt()) && !moved.isStale(System.currentTimeMillis())) {
                    createIfAbsent(fs, path, moved);
                    fs.delete(aside, false);
                    throw new RunLockedException("run " + me.runId() + " is already running: " + moved.describe());
                }
                fs.delete(aside, false);
                // a heartbeat the dead driver had not yet moved into place (whose, when its lock was unreadable)
                deleteBeats(fs, path, "?".equals(other.attempt()) ? "*" : other.attempt());
            }
        }
        throw new RunLockedException("run " + me.runId() + ": could not take the lock " + path + " (contended)");
    }

    /**
     * The holder of {@code runId}'s lock, or null when it is not locked.
     *
     * @param heartbeatSeconds the period to assume for a lock that cannot be read (being rewritten, or cut
     *     short by a kill): the reader's own
     */
    public static Holder holder(FileSystem fs, Path out, String runId, int heartbeatSeconds) throws IOException {
        return read(fs, path(out, runId), heartbeatSeconds);
    }

    /** The holder as one read finds it, with no second try at a lock it cannot read (for a test). */
    static Holder readOnce(FileSystem fs, Path out, String runId) throws IOException {
        return read(fs, path(out, runId), 1, 1);
    }

    public Holder holder() {
        return holder;
    }

    /**
     * Rewrites the heartbeat. The lock never disappears while held, and never reads half-written.
     *
     * @throws RunLockLostException when the lock is no longer this attempt's (see {@link #verify})
     */
    public synchronized void heartbeat(long now) throws IOException {
        if (!held) {
            return;
        }
        verify(now); // first: a holder whose beats cannot be written still stops in time
        Holder next = new Holder(holder.runId(), holder.attempt(), holder.host(), holder.pid(), holder.startedAt(), now,
                holder.heartbeatSeconds());
        byte[] content = JSON.toJson(next).getBytes(StandardCharsets.UTF_8);
        if (LocalDisk.holds(fs)) {
            // a whole new file renamed over the old one: a reader sees the last heartbeat or this one. Checked
            // again once it is written aside: a taker deletes it (acquire), so a driver paused between this
            // check and the move finds it gone when it wakes, and makes no lock over the taker's or a released one
            java.nio.file.Path lock = LocalDisk.path(fs, path);
            java.nio.file.Path temp = sibling(lock, holder.attempt() + ".beat");
            Files.write(temp, content);
            verify(now);
            Files.move(temp, lock, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            // HDFS and object stores: rewritten in place; a reader that catches it half-written reads again
            try (OutputStream out = fs.create(path, true)) {
                out.write(content);
            }
        }
        holder = next; // only a beat that reached the file counts: takers judge the file
    }

    /**
     * Checks that this attempt still holds the lock, as a lease: it must name this attempt, and this
     * attempt's last beat written must be recent enough that no taker can have judged it stale. A driver
     * paused (a stopped process, a long GC) or cut off past that may have been taken over; it then holds
     * nothing and must write nothing.
     *
     * <p>Takers judge a lock stale after {@link Vocabulary#STALE_HEARTBEATS} silent periods; the holder
     * gives up one period sooner. So a driver that passes this check has at least a period before a taker
     * can move the lock, which covers the one write it makes next. Without that margin, a driver woken
     * after seven silent periods would find its lock still its own, and a taker reading it stale at that
     * moment would take it over under the driver's next write.
     *
     * @throws RunLockLostException when another attempt holds the lock, none does, or this attempt's
     *     last beat is too old to be sure
     */
    public synchronized void verify(long now) throws IOException {
        if (!held) {
            throw new RunLockLostException(lost != null ? lost : "run " + holder.runId() + ": this attempt released its lock");
        }
        Holder current = read(fs, path, holder.heartbeatSeconds());
        // the clock after the read, not only the caller's: a pause between the two is silence too
        long silentMillis = Math.max(now, System.currentTimeMillis()) - holder.heartbeatAt();
        int staleSeconds = Vocabulary.STALE_HEARTBEATS * holder.heartbeatSeconds();
        // "?": unreadable, which only an in-place rewrite (HDFS) cut short can leave: this heartbeat repairs it
        boolean named = current != null && (current.attempt().equals(holder.attempt()) || "?".equals(current.attempt()));
        if (named && silentMillis <= (staleSeconds - holder.heartbeatSeconds()) * 1000L) {
            return;
        }
        held = false; // never rewrite it, never release it: it is another's, or soon may be
        deleteBeats(fs, path, holder.attempt());
        String silent = "this driver's last heartbeat was "
                + String.format(java.util.Locale.ROOT, "%.1f s", silentMillis / 1000.0) + " ago";
        String what;
        if (named) {
            what = silent + ", within a period of the " + staleSeconds + " s after which another may take the lock over,"
                    + " so it stops rather than race a taker";
        } else {
            what = (current == null ? "the lock is gone (taken over and released, or removed)"
                    : "the run was taken over by " + current.describe())
                    + "; " + silent + ", and a lock is stale after " + staleSeconds + " s";
        }
        lost = "run " + holder.runId() + " lost its lock: " + what + " (a paused driver, or one cut off from "
                + path.getParent() + ")";
        throw new RunLockLostException(lost);
    }

    /** Releases the lock if this attempt still holds it. */
    @Override
    public synchronized void close() throws IOException {
        if (!held) {
            return;
        }
        held = false;
        deleteBeats(fs, path, holder.attempt()); // one cut short by the heartbeat thread's interruption
        Holder current = read(fs, path, holder.heartbeatSeconds());
        if (current != null && current.attempt().equals(holder.attempt())) {
            fs.delete(path, false);
        }
    }

    private static boolean createIfAbsent(FileSystem fs, Path path, Holder holder) throws IOException {
        byte[] content = JSON.toJson(holder).getBytes(StandardCharsets.UTF_8);
        if (LocalDisk.holds(fs)) {
            // RawLocalFileSystem's create(overwrite=false) checks, then creates: not atomic. A hard link is.
            java.nio.file.Path lock = LocalDisk.path(fs, path);
            java.nio.file.Path temp = sibling(lock, holder.attempt());
            Files.write(temp, content);
            try {
                Files.createLink(lock, temp);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(temp);
            }
        }
        try (OutputStream out = fs.create(path, false)) {
            out.write(content);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /** The hidden heartbeat files of {@code attempt} ("*": of any attempt) beside a local lock. */
    private static void deleteBeats(FileSystem fs, Path path, String attempt) throws IOException {
        if (!LocalDisk.holds(fs)) {
            return;
        }
        java.nio.file.Path lock = LocalDisk.path(fs, path);
        try (var beats = Files.newDirectoryStream(lock.getParent(), "." + lock.getFileName() + "." + attempt + ".beat")) {
            for (java.nio.file.Path beat : beats) {
                Files.deleteIfExists(beat);
            }
        }
    }

    /** A hidden file beside the lock, for one writer's whole content before it moves into place. */
    private static java.nio.file.Path sibling(java.nio.file.Path lock, String suffix) {
        return lock.resolveSibling("." + lock.getFileName() + "." + suffix);
    }

    private static Holder read(FileSystem fs, Path path, int assumedSeconds) throws IOException {
        return read(fs, path, assumedSeconds, UNREADABLE_TRIES);
    }

    private static Holder read(FileSystem fs, Path path, int assumedSeconds, int maxTries) throws IOException {
        FileStatus status = null;
        for (int tries = 0; tries < maxTries; tries++) {
            try {
                status = fs.getFileStatus(path);
            } catch (java.io.FileNotFoundException e) {
                return null;
            }
            try (InputStream in = fs.open(path)) {
                Holder h = JSON.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), Holder.class);
                if (h != null && h.attempt() != null) {
                    return h;
                }
            } catch (java.io.FileNotFoundException e) {
                return null;
            } catch (JsonSyntaxException | ChecksumException e) {
                // being rewritten in place (not on local disks), or cut short by a driver killed mid-heartbeat
                // (a .crc sidecar, written apart, may then disagree with it): a live writer finishes soon
            }
            if (tries + 1 < maxTries) {
                sleep(UNREADABLE_RETRY_MILLIS);
            }
        }
        // judged by its file time at the reader's own period: its writer's is in the part that cannot be read
        return new Holder("?", "?", "?", -1, status.getModificationTime(), status.getModificationTime(), assumedSeconds);
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading a run lock");
        }
    }
}
