package org.ckaatlas.cli;

import java.io.PrintWriter;
import java.util.function.Function;
import org.ckaatlas.cka.Estimator;
import org.ckaatlas.cka.Kernel;
import org.ckaatlas.model.ModelSpec;
import org.ckaatlas.analysis.UsageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cka-atlas}: the top-level command. */
@Command(name = "cka-atlas",
        mixinStandardHelpOptions = true,
        version = "cka-atlas 0.1.0",
        description = "Layer-by-layer Centered Kernel Alignment of CNNs over image data sets, on Apache Spark.",
        subcommands = {RunCommand.class, LayersCommand.class, SqlCommand.class, PruneCommand.class, SampleDataCommand.class,
            RenderCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:internal error (a bug, or the output could not be written)",
            "2:bad input: a flag, a missing folder, too few images, an --out that cannot be written (one line names it)",
            "3:the run failed; its runs row says why and none of its results are visible"})
public final class CkaAtlas implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_RUN_FAILED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: run, layers, sample-data or render");
    }

    /** A converter from a parser whose IllegalArgumentException names the valid forms: exit 2 with that line. */
    private static <T> CommandLine.ITypeConverter<T> parsing(Function<String, T> parser) {
        return value -> {
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        };
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: bad input is one line on stderr and exit code 2. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new CkaAtlas());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.registerConverter(ModelSpec.class, parsing(ModelSpec::parse));
        cli.registerConverter(Kernel.class, parsing(Kernel::parse));
        cli.registerConverter(Estimator.class, parsing(Estimator::parse));
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(e.getCommandLine().getCommandName() + ": " + e.getMessage() + " (see --help)");
            err.flush();
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof UsageException) {
                err.println(cmd.getCommandName() + ": " + e.getMessage());
                err.flush();
                return EXIT_USAGE;
            }
            err.println(cmd.getCommandName() + ": failed: " + e);
            e.printStackTrace(err);
            err.flush();
            return EXIT_ERROR;
        });
        return cli;
    }
}
