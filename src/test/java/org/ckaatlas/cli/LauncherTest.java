package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/lib.sh as the launcher uses it. */
class LauncherTest {
    @TempDir
    Path dir;

    /**
     * The launcher's first build, in a fresh copy of the project (pom.xml, src/main, scripts/lib.sh; no
     * target/): stderr carries the one "building" line and no terminal escape codes, which Maven 3.8's jansi
     * writes even with -B -q.
     */
    @Test
    void theFirstBuildIsQuietAndPlain() throws Exception {
        Path home = dir.resolve("project");
        copy(Path.of("pom.xml"), home.resolve("pom.xml"));
        copy(Path.of("scripts/lib.sh"), home.resolve("scripts/lib.sh"));
        try (Stream<Path> files = Files.walk(Path.of("src/main"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                copy(f, home.resolve(f));
            }
        }
        // offline: the outer build has every artifact already; no test reaches the network
        Files.createDirectories(home.resolve(".mvn"));
        Files.writeString(home.resolve(".mvn/maven.config"), "-o\n");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "source scripts/lib.sh && cka_classpath")
                .directory(home.toFile())
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the build ends");
        String out = Files.readString(dir.resolve("stdout"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertFalse(err.contains("\u001b") || out.contains("\u001b"), "no escape codes: " + err.replace("\u001b", "ESC"));
        assertEquals("cka-atlas: building (mvn -q -DskipTests compile) ...", err.strip());
        assertTrue(out.startsWith(home.toRealPath() + "/target/classes:"), out);
    }

    /** A heap under Spark's floor is a setting to change: exit 2 and one line, with no trace from Spark's log. */
    @Test
    void aHeapSparkCannotStartInIsOneLineAndExitCode2() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/cka-atlas", "run", "--data", dir.toString(), "--out",
                dir.resolve("out").toString(), "--quiet", "--no-render", "--master", "local[1]")
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile());
        pb.environment().put("CKA_JAVA_OPTS", "-Xmx400m");
        Files.createDirectories(dir.resolve("c0"));
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "it ends");
        String err = Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8).strip();
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.startsWith("run: Spark cannot start: [INVALID_DRIVER_MEMORY]") && err.endsWith("CKA_JAVA_OPTS=-Xmx2g)")
                && err.lines().count() == 1, err);
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
    }
}
