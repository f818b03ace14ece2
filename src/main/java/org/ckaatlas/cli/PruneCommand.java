package org.ckaatlas.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ckaatlas.results.Table;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cka-atlas prune}: retention for scheduled runs. Deletes, from every table and the reports, each
 * run whose id is exactly {@code NAME-<yyyy-MM-dd>} (or {@code PREFIX<yyyy-MM-dd>}) with a date before
 * --before. The date must be exactly four, two and two digits: a looser parse once let job {@code demo}
 * (prefix {@code demo-}) prune job {@code demo-}'s {@code demo--2026-11-01}, read as the year -2026.
 * Runs of other names are never touched. The runs row goes first, so a run being pruned stops counting
 * as published at once.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Deletes the runs named NAME-<yyyy-MM-dd> (or PREFIX<yyyy-MM-dd>) dated before DATE from every table under OUT.")
final class PruneCommand implements Callable<Integer> {
    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "root of the result tables")
    String out;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Runs runs;

    /** Which runs: a job's (NAME-<date>) or, as before, any PREFIX<date>. */
    static final class Runs {
        @Option(names = "--job", required = true, description = "a job's name: its nightly runs, NAME-<yyyy-MM-dd>, exactly")
        String job;

        @Option(names = "--run-id-prefix", required = true, description = "runs named PREFIX<yyyy-MM-dd>, exactly, e.g. 'imagenet50-vgg11-'")
        String prefix;

        String prefix() {
            return job != null ? job + "-" : prefix;
        }
    }

    @Option(names = "--before", required = true, description = "yyyy-MM-dd: runs dated before this day are deleted")
    String before;

    @Override
    public Integer call() throws IOException {
        LocalDate cutoff;
        try {
            cutoff = LocalDate.parse(before);
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--before " + before + ": not a yyyy-MM-dd date");
        }
        Path root = new Path(RunCommand.absolute(out));
        FileSystem fs = root.getFileSystem(new Configuration());
        Path runsDir = new Path(root, Table.RUNS.dirName());
        String prefix = runs.prefix();
        TreeSet<String> doomed = new TreeSet<>();
        if (fs.exists(runsDir)) {
            for (FileStatus status : fs.listStatus(runsDir)) {
                String name = status.getPath().getName();
                String runId = name.startsWith("run_id=") ? name.substring("run_id=".length()) : "";
                if (runId.startsWith(prefix) && isBefore(runId.substring(prefix.length()), cutoff)) {
                    doomed.add(runId);
                }
            }
        }
        PrintWriter stdout = spec.commandLine().getOut();
        for (String runId : doomed) {
            for (Table table : Table.values()) {
                fs.delete(new Path(table.partitionPath(root.toString(), runId)), true);
            }
            fs.delete(new Path(root, "report/" + Table.partition(runId)), true);
            stdout.println("pruned " + runId);
        }
        stdout.println(doomed.size() + " run(s) before " + cutoff + " pruned");
        stdout.flush();
        return CkaAtlas.EXIT_OK;
    }

    /** Whether {@code date} is exactly a yyyy-MM-dd day before the cutoff (LocalDate.parse alone takes "-2026-11-01"). */
    private static boolean isBefore(String date, LocalDate cutoff) {
        if (!DATE.matcher(date).matches()) {
            return false;
        }
        try {
            return LocalDate.parse(date).isBefore(cutoff);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
