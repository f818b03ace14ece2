package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ckaatlas.data.SampleData;
import org.ckaatlas.results.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/nightly as a scheduler runs it: run ids by date, retention, the lock, re-runs. */
class NightlyTest {
    @TempDir
    Path dir;

    private record Result(int code, String output) {}

    private Result nightly(Path job, String date) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/nightly", job.toString()).redirectErrorStream(true);
        pb.environment().put("NIGHTLY_DATE", date);
        pb.environment().put("CKA_LOCK_DIR", dir.resolve("locks").toString());
        pb.environment().put("CKA_LOG_DIR", dir.resolve("logs").toString());
        pb.environment().put("CKA_JAVA_OPTS", "-Xmx1g");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        return new Result(p.exitValue(), output);
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
                "spark.ui.enabled=false", ""));

        Result first = nightly(job, "2026-11-26");
        assertEquals(0, first.code(), first.output());
        assertTrue(present(out, "tiny-job-2026-11-26"));
        assertTrue(Files.exists(dir.resolve("logs/tiny-job-2026-11-26.log")));

        Result second = nightly(job, "2026-11-28");
        assertEquals(0, second.code(), second.output());
        assertTrue(present(out, "tiny-job-2026-11-28"));
        for (Table table : List.of(Table.RUNS, Table.IMAGES, Table.LAYERS, Table.HSIC_BATCHES, Table.LAYER_CKA, Table.CHANNEL_CKA)) {
            assertFalse(Files.exists(Path.of(table.partitionPath(out.toString(), "tiny-job-2026-11-26"))),
                    "retention of 1 day removed the older night from " + table.dirName());
            assertTrue(Files.exists(Path.of(table.partitionPath(out.toString(), "tiny-job-2026-11-28"))), table.dirName());
        }

        Files.createDirectories(dir.resolve("locks"));
        Process holder = new ProcessBuilder("flock", dir.resolve("locks/tiny-job.lock").toString(), "sleep", "60").start();
        try {
            Thread.sleep(500);
            Result refused = nightly(job, "2026-11-28");
            assertEquals(75, refused.code(), refused.output());
            assertTrue(refused.output().contains("already running"), refused.output());
        } finally {
            // the sleeping child holds the lock's file descriptor too
            holder.descendants().forEach(ProcessHandle::destroy);
            holder.destroy();
            holder.waitFor();
        }

        Result rerun = nightly(job, "2026-11-28");
        assertEquals(0, rerun.code(), rerun.output());
        try (var files = Files.list(Path.of(Table.RUNS.partitionPath(out.toString(), "tiny-job-2026-11-28")))) {
            assertEquals(1L, files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count(), "one copy of the night");
        }
        Result badJob = nightly(dir.resolve("missing.properties"), "2026-11-28");
        assertEquals(2, badJob.code(), badJob.output());
    }
}
