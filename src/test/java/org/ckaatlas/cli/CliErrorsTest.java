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
}
