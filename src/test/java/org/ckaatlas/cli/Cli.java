package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** The tests' way to run cka-atlas: in this JVM, as a user would from the shell, capturing what it prints. */
public final class Cli {
    /** The committed tiny TorchScript fixture (src/test/resources/fixtures/make_fixtures.py): fast runs. */
    public static final String TINY_MODEL = "torchscript:src/test/resources/fixtures/tiny_vgg.pt";

    /** One command's exit code and what it printed on stdout and stderr. */
    public record Outcome(int code, String out, String err) {
        /** stdout then stderr. */
        public String text() {
            return out + err;
        }
    }

    private Cli() {}

    public static Outcome execute(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CkaAtlas.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args.toArray(new String[0]));
        return new Outcome(code, out.toString(), err.toString());
    }

    /** What scripts/nightly exited with and printed: stdout and stderr together, as a scheduler's log gets them. */
    public record Nightly(int code, String output) {}

    /** Runs scripts/nightly on {@code job} as a scheduler would on {@code date}, with its locks and logs in these folders. */
    public static Nightly nightly(Path job, String date, Path lockDir, Path logDir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/nightly", job.toString()).redirectErrorStream(true);
        pb.environment().put("NIGHTLY_DATE", date);
        pb.environment().put("CKA_LOCK_DIR", lockDir.toString());
        pb.environment().put("CKA_LOG_DIR", logDir.toString());
        pb.environment().put("CKA_JAVA_OPTS", "-Xmx1g");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        return new Nightly(p.exitValue(), output);
    }

    /** Runs the command and fails the test, showing what it printed, unless it exits with {@code expected}. */
    public static Outcome expect(int expected, List<String> args) {
        Outcome outcome = execute(args);
        assertEquals(expected, outcome.code(), outcome.err() + outcome.out());
        return outcome;
    }
}
