package org.ckaatlas.cli;

import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ckaatlas.render.RunReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cka-atlas render}: the report of a finished run, from its tables (no Spark). */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = "Renders OUT/report/run_id=ID/ (heatmaps and index.html) from a run's tables.")
final class RenderCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "root of the result tables")
    String out;

    @Option(names = "--run-id", required = true, description = "the run to render")
    String runId;

    @Override
    public Integer call() throws Exception {
        try {
            Path index = new RunReport(out, runId).render();
            spec.commandLine().getOut().println("report: " + index);
            return CkaAtlas.EXIT_OK;
        } catch (FileNotFoundException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
