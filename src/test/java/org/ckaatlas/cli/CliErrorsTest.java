package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ckaatlas.data.SampleData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: exit code 2, one line on stderr that names the problem, nothing written. */
class CliErrorsTest {
    @TempDir
    Path dir;

    private static Cli.Outcome execute(String... args) {
        return Cli.execute(List.of(args));
    }

    private void assertUsageError(Cli.Outcome outcome, String mentions) {
        assertEquals(2, outcome.code(), outcome.err());
        assertEquals(1, outcome.err().strip().lines().count(), "one line: " + outcome.err());
        assertTrue(outcome.err().contains(mentions), outcome.err());
        assertFalse(Files.exists(dir.resolve("out")), "nothing written");
    }

    @Test
    void aMissingDataFolder() {
        assertUsageError(execute("run", "--data", dir.resolve("nope").toString(), "--out", dir.resolve("out").toString()),
                "--data");
    }

    @Test
    void anUnknownModel() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 4, 0);
        assertUsageError(execute("run", "--data", dir.resolve("data").toString(), "--out", dir.resolve("out").toString(),
                "--model", "alexnet"), "alexnet");
    }

    @Test
    void aBatchSizeUnderFour() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 4, 0);
        assertUsageError(execute("run", "--data", dir.resolve("data").toString(), "--out", dir.resolve("out").toString(),
                "--batch-size", "3"), "--batch-size");
    }

    @Test
    void fewerThanFourImages() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 3, 0);
        assertUsageError(execute("run", "--data", dir.resolve("data").toString(), "--out", dir.resolve("out").toString(),
                "--master", "local[1]"), "at least 4 images");
    }

    @Test
    void anUnknownFlagAndAMissingSubcommand() {
        assertUsageError(execute("run", "--data", dir.toString(), "--out", dir.resolve("out").toString(), "--dta", "x"),
                "--dta");
        assertEquals(2, execute().code());
    }

    @Test
    void renderingARunThatDoesNotExist() {
        assertUsageError(execute("render", "--out", dir.toString(), "--run-id", "ghost"), "ghost");
    }

    @Test
    void anOutThatIsAFileOrCannotBeWritten() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 4, 0);
        String data = dir.resolve("data").toString();
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        assertUsageError(execute("run", "--data", data, "--out", file.toString()), "--out " + file + ": is a file, not a folder");
        assertUsageError(execute("run", "--data", data, "--out", file.resolve("sub").toString()), "is a file, not a folder");
        // /proc refuses new files even to root, which every mode bit lets through
        assertUsageError(execute("run", "--data", data, "--out", "/proc/cka-atlas-out"), "--out /proc/cka-atlas-out: cannot write in /proc");
        assertEquals("not a folder", Files.readString(file));
    }

    /** Mode 0500 for users; root writes through mode bits, so for root a read-only mount, where it may mount one. */
    @Test
    void aReadOnlyOutFolder() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 4, 0);
        Path readOnly = Files.createDirectories(dir.resolve("read-only"));
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly.toString())
                    .redirectErrorStream(true).start();
            org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0,
                    "SKIPPED: root here cannot mount a read-only tmpfs: " + new String(mount.getInputStream().readAllBytes()));
        } else {
            Files.setPosixFilePermissions(readOnly, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
        }
        try {
            assertUsageError(execute("run", "--data", dir.resolve("data").toString(), "--out", readOnly.resolve("out").toString()),
                    "cannot write in " + readOnly);
        } finally {
            if (root) {
                new ProcessBuilder("umount", readOnly.toString()).inheritIO().start().waitFor();
            }
        }
    }

    @Test
    void aMisspelledMaster() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 4, 0);
        assertUsageError(execute("run", "--data", dir.resolve("data").toString(), "--out", dir.resolve("out").toString(),
                "--master", "lcoal"), "--master lcoal: not a Spark master URL");
        for (String good : List.of("local", "local[4]", "local[*]", "local[2,3]", "local[*, 4]", "local-cluster[2,1,1024]",
                "spark://127.0.0.1:7077", "spark://h1:7077,h2:7077", "yarn", "k8s://https://10.0.0.1:6443", "mesos://h:5050")) {
            assertEquals(null, Preflight.master(good), good);
        }
        for (String bad : List.of("lcoal", "local[0]", "local[x]", "local[2", "Local", "spark:/h:7077", "yarn-client", "")) {
            assertTrue(Preflight.master(bad).startsWith("--master " + bad + ": "), bad);
        }
    }

    @Test
    void aFlatFolderOfImages() throws Exception {
        SampleData.write(dir.resolve("sample"), 1, 6, 0);
        Path flat = Files.createDirectories(dir.resolve("flat"));
        try (var images = Files.walk(dir.resolve("sample"))) {
            for (Path image : images.filter(Files::isRegularFile).toList()) {
                Files.move(image, flat.resolve(image.getFileName()));
            }
        }
        assertUsageError(execute("run", "--data", flat.toString(), "--out", dir.resolve("out").toString()),
                "--data " + flat + ": 6 images lie directly in the folder and none in a label folder");
    }

    @Test
    void batchSizeAndBootstrapHaveUpperBounds() throws Exception {
        SampleData.write(dir.resolve("data"), 1, 4, 0);
        String data = dir.resolve("data").toString();
        String out = dir.resolve("out").toString();
        assertUsageError(execute("run", "--data", data, "--out", out, "--batch-size", "4097"), "--batch-size must be at most 4096");
        assertUsageError(execute("run", "--data", data, "--out", out, "--bootstrap", "100001"), "--bootstrap must be at most 100000");
        assertUsageError(execute("run", "--data", data, "--out", out, "--permutations", "-1"), "--permutations must be 0 (none) to 10000");
        assertUsageError(execute("run", "--data", data, "--out", out, "--redundancy-threshold", "1.5"),
                "--redundancy-threshold must be above 0 and at most 1");
        assertUsageError(execute("run", "--data", data, "--out", out, "--decode-threads", "65"), "--decode-threads must be 0");
    }
}
