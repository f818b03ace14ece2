package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.ckaatlas.results.Table;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prune deletes exactly one job's dated runs. The runs are partition folders as a run leaves them (prune
 * reads nothing inside them), so every id the matching could confuse can be laid out side by side.
 */
class PruneTest {
    private static final List<String> RUNS = List.of("demo", "demo-2026-12-01", "demo-2026-12-20", "demo--2026-11-01",
            "demo-x-2026-11-01", "demo-2026-11-01-rerun", "demo2026-11-01", "other-2026-11-01");

    @TempDir
    Path out;

    @BeforeEach
    void runs() throws IOException {
        for (String runId : RUNS) {
            for (Table table : Table.values()) {
                Path partition = Path.of(table.partitionPath(out.toString(), runId));
                Files.createDirectories(partition);
                Files.write(partition.resolve("part-00000.zstd.parquet"), new byte[] {1});
            }
            Files.createDirectories(out.resolve("report/" + Table.partition(runId)));
        }
    }

    /** Prunes with this selection; returns every run gone so far. */
    private Set<String> goneAfter(String... selection) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("prune", "--out", out.toString(), "--before", "2026-12-15"));
        args.addAll(List.of(selection));
        Cli.expect(0, args);
        Set<String> left = new TreeSet<>();
        try (Stream<Path> dirs = Files.list(out.resolve(Table.RUNS.dirName()))) {
            dirs.map(d -> d.getFileName().toString().substring("run_id=".length())).forEach(left::add);
        }
        for (Table table : Table.values()) {
            try (Stream<Path> dirs = Files.list(out.resolve(table.dirName()))) {
                assertEquals(left, dirs.map(d -> d.getFileName().toString().substring("run_id=".length()))
                        .collect(Collectors.toCollection(TreeSet::new)), "every table agrees: " + table.dirName());
            }
        }
        Set<String> gone = new TreeSet<>(RUNS);
        gone.removeAll(left);
        return gone;
    }

    @Test
    void aJobPrunesOnlyItsOwnDatedRuns() throws IOException {
        assertEquals(Set.of("demo-2026-12-01"), goneAfter("--job", "demo"), "not demo--2026-11-01 of job 'demo-', nor demo-x's");
        assertEquals(Set.of("demo-2026-12-01", "demo--2026-11-01"), goneAfter("--job", "demo-"), "job 'demo-' has its own runs");
        assertTrue(Files.exists(out.resolve("report/run_id=demo-2026-12-20")));
        assertTrue(Files.notExists(out.resolve("report/run_id=demo-2026-12-01")));
    }

    @Test
    void aPrefixIsFollowedByExactlyADate() throws IOException {
        // "-2026-12-01" and "-2026-11-01" parse as dates in the year -2026 under LocalDate.parse
        assertEquals(Set.of("demo2026-11-01"), goneAfter("--run-id-prefix", "demo"));
        assertEquals(Set.of("demo2026-11-01", "demo-2026-12-01"), goneAfter("--run-id-prefix", "demo-"));
    }

    @Test
    void oneSelectionExactly() {
        assertEquals(2, Cli.execute(List.of("prune", "--out", out.toString(), "--before", "2026-12-15")).code());
        assertEquals(2, Cli.execute(List.of("prune", "--out", out.toString(), "--before", "2026-12-15", "--job", "demo",
                "--run-id-prefix", "demo-")).code());
    }
}
