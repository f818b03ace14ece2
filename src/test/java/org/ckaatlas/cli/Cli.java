package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
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

    /** Runs the command and fails the test, showing what it printed, unless it exits with {@code expected}. */
    public static Outcome expect(int expected, List<String> args) {
        Outcome outcome = execute(args);
        assertEquals(expected, outcome.code(), outcome.err() + outcome.out());
        return outcome;
    }
}
