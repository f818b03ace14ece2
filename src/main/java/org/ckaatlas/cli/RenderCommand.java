package org.ckaatlas.cli;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ckaatlas.render.IndexPage;
import org.ckaatlas.render.RunReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cka-atlas render}: the report of a finished run, and the page across all runs, from the tables (no Spark). */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = "Renders OUT/report/run_id=ID/ (heatmaps and index.html) from a run's tables, and with --index"
                + " OUT/report/index.html, a page across every run under OUT.")
final class RenderCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "root of the result tables")
    String out;

    @Option(names = "--run-id", description = "the run to render")
    String runId;

    @Option(names = "--index", description = "render OUT/report/index.html: every run, each job's trend and its latest changes")
    boolean index;

    @Override
    public Integer call() throws Exception {
        if (runId == null && !index) {
            throw new CommandLine.ParameterException(spec.commandLine(), "nothing to render: give --run-id ID, --index, or both");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        FileNotFoundException missing = null;
        if (runId != null) {
            try {
                stdout.println("report: " + new RunReport(out, runId).render());
            } catch (FileNotFoundException e) {
                missing = e; // the index still lists every run, this one with its status
            }
        }
        if (index) {
            try {
                Path page = new IndexPage(out).render();
                stdout.println("index: " + page);
            } catch (FileNotFoundException e) {
                missing = missing != null ? missing : e;
            }
        }
        stdout.flush();
        if (missing != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), missing.getMessage());
        }
        return CkaAtlas.EXIT_OK;
    }
}
