package org.ckaatlas.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.TreeSet;
import java.util.concurrent.Callable;
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
 * run whose id is {@code PREFIX<yyyy-MM-dd>} with a date before --before. Runs of other names are never
 * touched. The runs row goes first, so a run being pruned stops counting as published at once.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Deletes the runs named PREFIX<yyyy-MM-dd> dated before DATE from every table under OUT.")
final class PruneCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "root of the result tables")
    String out;

    @Option(names = "--run-id-prefix", required = true, description = "e.g. 'imagenet50-vgg11-' for that job's nightly runs")
    String prefix;

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
        Path runs = new Path(root, Table.RUNS.dirName());
        TreeSet<String> doomed = new TreeSet<>();
        if (fs.exists(runs)) {
            for (FileStatus status : fs.listStatus(runs)) {
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

    private static boolean isBefore(String date, LocalDate cutoff) {
        try {
            return LocalDate.parse(date).isBefore(cutoff);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
