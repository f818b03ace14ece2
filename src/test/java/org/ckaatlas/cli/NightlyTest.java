package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.results.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/nightly as a scheduler runs it: run ids by date, retention, the lock, re-runs. */
class NightlyTest {
    @TempDir
    Path dir;

    private Cli.Nightly nightly(Path job, String date) throws IOException, InterruptedException {
        return nightly(job, date, dir.resolve("locks"));
    }

    private Cli.Nightly nightly(Path job, String date, Path lockDir) throws IOException, InterruptedException {
        return Cli.nightly(job, date, lockDir, dir.resolve("logs"));
    }

    private boolean present(Path out, String runId) {
        return Files.exists(Path.of(Table.LAYER_CKA.partitionPath(out.toString(), runId)));
    }

    @Test
    void nightsRetentionTheLockAndReruns() throws Exception {
        SampleData.write(dir.resolve("data"), 2, 4, 3);
        Path out = dir.resolve("out");
        Path job = dir.resolve("tiny-job.properties");
        Files.writeString(job, String.join("\n", "data=" + dir.resolve("data"), "out=" + out,
                "model=torchscript:" + Path.of("src/test/resources/fixtures/tiny_vgg.pt").toAbsolutePath(),
                "batch-size=4", "channel-cka=summary", "bootstrap=0", "master=local[1]", "retention-days=1",
                "device=cpu", "no-render=true", "quiet=true", "spark.ui.enabled=false", ""));

        Cli.Nightly first = nightly(job, "2026-11-26");
        assertEquals(0, first.code(), first.output());
        assertTrue(present(out, "tiny-job-2026-11-26"));
        assertTrue(Files.exists(dir.resolve("logs/tiny-job-2026-11-26.log")));
        assertFalse(Files.exists(out.resolve("report")), "no-render=true: tables only");

        Cli.Nightly second = nightly(job, "2026-11-28");
        assertEquals(0, second.code(), second.output());
        assertTrue(present(out, "tiny-job-2026-11-28"));
        for (Table table : List.of(Table.RUNS, Table.IMAGES, Table.LAYERS, Table.HSIC_BATCHES, Table.LAYER_CKA, Table.CHANNEL_CKA)) {
            assertFalse(Files.exists(Path.of(table.partitionPath(out.toString(), "tiny-job-2026-11-26"))),
                    "retention of 1 day removed the older night from " + table.dirName());
            assertTrue(Files.exists(Path.of(table.partitionPath(out.toString(), "tiny-job-2026-11-28"))), table.dirName());
        }

        Files.createDirectories(dir.resolve("locks"));
        String lock = dir.resolve("locks/tiny-job.lock").toString();
        Process holder = new ProcessBuilder("flock", lock, "sleep", "60").start();
        try {
            // until flock holds it: a second flock that may not wait fails
            for (int i = 0; i < 100 && new ProcessBuilder("flock", "-n", lock, "true").start().waitFor() == 0; i++) {
                Thread.sleep(100);
            }
            Cli.Nightly refused = nightly(job, "2026-11-28");
            assertEquals(75, refused.code(), refused.output());
            assertTrue(refused.output().contains("already running"), refused.output());
        } finally {
            // the sleeping child holds the lock's file descriptor too
            List<ProcessHandle> children = holder.descendants().toList();
            children.forEach(ProcessHandle::destroy);
            for (ProcessHandle child : children) {
                child.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            holder.destroy();
            holder.waitFor();
        }

        Cli.Nightly rerun = nightly(job, "2026-11-28");
        assertEquals(0, rerun.code(), rerun.output());
        try (var files = Files.list(Path.of(Table.RUNS.partitionPath(out.toString(), "tiny-job-2026-11-28")))) {
            assertEquals(1L, files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count(), "one copy of the night");
        }
        Cli.Nightly badJob = nightly(dir.resolve("missing.properties"), "2026-11-28");
        assertEquals(2, badJob.code(), badJob.output());
    }

    /** A job file that would run with anything but what it says is refused: exit 2, one line naming the key. */
    @Test
    void unknownKeysBadFlagsAndBadDatesAreRefused() throws Exception {
        Path job = dir.resolve("typo.properties");
        Files.writeString(job, "data=" + dir.resolve("data") + "\nout=" + dir.resolve("out") + "\n# a comment\n\nbacth-size=16\n");
        assertRefused(nightly(job, "2026-11-28"), 2, "unknown key 'bacth-size'");

        Files.writeString(job, "data=" + dir.resolve("data") + "\nno-render=yes\n");
        assertRefused(nightly(job, "2026-11-28"), 2, "no-render=yes: must be true or false");

        Files.writeString(job, "data=" + dir.resolve("data") + "\nno-render=true\n");
        for (String date : List.of("tomorrow", "2026-11-31", "2026-1-5", "2026-11-28; rm")) {
            assertRefused(nightly(job, date), 2, "NIGHTLY_DATE '" + date + "' is not a yyyy-MM-dd date");
        }
        assertFalse(Files.exists(dir.resolve("logs")), "nothing started");
    }

    /** device, quiet and no-render reach the run: a device the run does not know fails it with exit 2. */
    @Test
    void deviceQuietAndNoRenderComeFromTheJobFile() throws Exception {
        Path job = dir.resolve("gpu.properties");
        Files.writeString(job, "data=" + dir.resolve("data") + "\nout=" + dir.resolve("out") + "\ndevice=tpu\nquiet=false\nno-render=true\n");
        Cli.Nightly result = nightly(job, "2026-11-28");
        assertEquals(2, result.code(), result.output());
        String log = Files.readString(dir.resolve("logs/gpu-2026-11-28.log"));
        assertTrue(log.contains("--device") && log.contains("tpu"), log);
        Path locks = dir.resolve("locks");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(locks)),
                "the lock folder is created 0700");
    }

    /**
     * The lock never opens a file through a link, nor in a folder someone else controls: a NAME.lock planted as
     * a symbolic link once made root's nightly truncate the file it pointed to.
     */
    @Test
    void theLockRefusesPlantedLinksAndFoldersOthersControl() throws Exception {
        Path job = dir.resolve("victimised.properties");
        Files.writeString(job, "data=" + dir.resolve("data") + "\nout=" + dir.resolve("out") + "\n");
        Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
        Path locks = Files.createDirectories(dir.resolve("locks"));
        Files.createSymbolicLink(locks.resolve("victimised.lock"), victim);
        assertRefused(nightly(job, "2026-11-28", locks), 1, "is a symbolic link");
        assertEquals("precious\n", Files.readString(victim), "the victim is untouched");

        Path real = Files.createDirectories(dir.resolve("real-locks"));
        Path linked = Files.createSymbolicLink(dir.resolve("linked-locks"), real);
        assertRefused(nightly(job, "2026-11-28", linked), 1, "lock folder " + linked + " is a symbolic link");

        Path open = Files.createDirectories(dir.resolve("open-locks"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        assertRefused(nightly(job, "2026-11-28", open), 1, "is writable by others (mode 777)");

        if ("root".equals(System.getProperty("user.name"))) {
            // only root can give a folder away; elsewhere the owner check is the same code as above
            Path theirs = Files.createDirectories(dir.resolve("their-locks"));
            new ProcessBuilder("chown", "65534", theirs.toString()).inheritIO().start().waitFor();
            assertRefused(nightly(job, "2026-11-28", theirs), 1, "belongs to uid 65534");
        }
        assertFalse(Files.exists(dir.resolve("logs")), "nothing started");
    }

    private static void assertRefused(Cli.Nightly result, int code, String mentions) {
        assertEquals(code, result.code(), result.output());
        assertEquals(1, result.output().strip().lines().count(), "one line: " + result.output());
        assertTrue(result.output().contains(mentions), result.output());
    }
}
