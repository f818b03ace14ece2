package org.ckaatlas.render;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.ckaatlas.results.ResultReader;
import org.ckaatlas.results.Table;
import org.ckaatlas.results.Vocabulary;

/**
 * Every run under an output root, as typed records for the index page: the runs, grouped by nightly
 * job, each job's CKA trend over its good nights and the biggest changes between its last two. Reads
 * the tables alone (parquet-avro, no Spark); knows nothing of HTML or charts.
 */
public final class RunsIndex {
    /** Changes shown per job: the largest few are what a reader looks for. */
    static final int CHANGES = 10;

    /** scripts/nightly's run ids: {@code <job>-<yyyy-MM-dd>}, the date exactly four, two and two digits, as prune reads them. */
    private static final Pattern NIGHTLY = Pattern.compile("(.+)-([0-9]{4}-[0-9]{2}-[0-9]{2})");

    /** A re-run of a published id that failed; the published run stayed as it was. startedAt is null when unreadable. */
    public record FailedAttempt(Instant startedAt, String error) {}

    /**
     * One run as a reader should see it.
     *
     * @param status the shown status: a running row whose heartbeat stopped is {@link Vocabulary#ABANDONED}
     * @param modelB null without --compare
     * @param error one line of reason, or null
     */
    public record Run(String runId, String status, Instant startedAt, Instant finishedAt, Instant heartbeatAt, long imagesOk,
            long imagesFailed, String modelA, String modelB, String error, List<FailedAttempt> failedAttempts) {
        public boolean succeeded() {
            return Vocabulary.SUCCEEDED.equals(status);
        }

        /** Failed or abandoned: the page marks these. */
        public boolean broken() {
            return Vocabulary.FAILED.equals(status) || Vocabulary.ABANDONED.equals(status);
        }
    }

    /** A nightly run's job and night, or empty for a run id of another form. */
    record Night(String job, LocalDate date) {
        static Optional<Night> of(String runId) {
            Matcher m = NIGHTLY.matcher(runId);
            if (!m.matches()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Night(m.group(1), LocalDate.parse(m.group(2))));
            } catch (DateTimeParseException e) {
                return Optional.empty(); // 2026-11-31: not a night
            }
        }
    }

    /** One good night's CKA of a layer pair; the interval is null when the run had none (fewer than 2 batches, --bootstrap 0). */
    public record Point(LocalDate night, String runId, double cka, Double ciLow, Double ciHigh) {}

    /** A layer pair of model a over the nights. */
    public record Trend(String layerX, String layerY, List<Point> points) {
        public String label() {
            return layerX + " \u2013 " + layerY;
        }
    }

    /** A layer pair's CKA in the last two good runs of a job. */
    public record Change(String layerX, String layerY, double before, double after) {
        public double delta() {
            return after - before;
        }
    }

    /**
     * A nightly job.
     *
     * @param runs newest night first
     * @param before the second-to-last good run, or null with fewer than two
     * @param after the last good run, or null with fewer than two
     */
    public record Job(String name, List<Run> runs, List<Trend> trends, String before, String after, List<Change> changes) {}

    private final List<Job> jobs;
    private final List<Run> otherRuns;

    private RunsIndex(List<Job> jobs, List<Run> otherRuns) {
        this.jobs = jobs;
        this.otherRuns = otherRuns;
    }

    /** The jobs by name. */
    public List<Job> jobs() {
        return jobs;
    }

    /** Runs whose ids are not nightly ones, newest first: no trend, no changes. */
    public List<Run> otherRuns() {
        return otherRuns;
    }

    public Optional<Job> job(String name) {
        return jobs.stream().filter(j -> j.name().equals(name)).findFirst();
    }

    /** Every run's runs row under {@code out}, read as of now. */
    public static RunsIndex read(String out) throws IOException {
        return read(out, System.currentTimeMillis());
    }

    /** @param now the time a heartbeat's age is judged against */
    static RunsIndex read(String out, long now) throws IOException {
        ResultReader reader = new ResultReader(out, new Configuration());
        Map<String, List<Run>> byJob = new TreeMap<>();
        Map<String, LocalDate> nights = new HashMap<>();
        List<Run> others = new ArrayList<>();
        for (String runId : reader.runIds(Table.RUNS)) {
            List<GenericRecord> rows;
            try {
                rows = reader.read(Table.RUNS, runId);
            } catch (FileNotFoundException e) {
                continue; // pruned since it was listed
            }
            if (rows.isEmpty()) {
                continue; // a partition being replaced right now
            }
            Run run = run(runId, rows.get(0), now);
            Optional<Night> night = Night.of(runId);
            if (night.isPresent()) {
                byJob.computeIfAbsent(night.get().job(), k -> new ArrayList<>()).add(run);
                nights.put(runId, night.get().date());
            } else {
                others.add(run);
            }
        }
        others.sort(Comparator.comparing(Run::startedAt).reversed());
        List<Job> jobs = new ArrayList<>();
        for (Map.Entry<String, List<Run>> e : byJob.entrySet()) {
            List<Run> runs = e.getValue();
            runs.sort(Comparator.comparing((Run r) -> nights.get(r.runId())).reversed());
            jobs.add(job(reader, e.getKey(), runs, nights));
        }
        return new RunsIndex(List.copyOf(jobs), List.copyOf(others));
    }

    private static Run run(String runId, GenericRecord r, long now) {
        Long heartbeat = (Long) r.get("heartbeat_at");
        String status = Vocabulary.shownStatus(r.get("status").toString(), heartbeat, (Integer) r.get("heartbeat_seconds"), now);
        Long finished = (Long) r.get("finished_at");
        String[] models = modelSpecs(r.get("models"));
        return new Run(runId, status, Instant.ofEpochMilli((Long) r.get("started_at")), finished == null ? null : Instant.ofEpochMilli(finished),
                heartbeat == null ? null : Instant.ofEpochMilli(heartbeat), (Long) r.get("images_ok"), (Long) r.get("images_failed"),
                models[0], models[1], r.get("error") == null ? null : r.get("error").toString(), failedAttempts(r.get("failed_attempts")));
    }

    /** Model a's and b's specs from runs.models ({"a": {"spec": ...}, "b": ...}); "?" when unreadable, never the JSON itself. */
    private static String[] modelSpecs(Object json) {
        String[] specs = {"?", null};
        try {
            JsonObject models = JsonParser.parseString(String.valueOf(json)).getAsJsonObject();
            specs[0] = spec(models, Vocabulary.MODEL_A, "?");
            specs[1] = spec(models, Vocabulary.MODEL_B, null);
        } catch (JsonParseException | IllegalStateException e) {
            // an unreadable models column: the page says "?"
        }
        return specs;
    }

    private static String spec(JsonObject models, String label, String missing) {
        JsonElement model = models.get(label);
        if (model == null || !model.isJsonObject() || !model.getAsJsonObject().has("spec")) {
            return missing;
        }
        return model.getAsJsonObject().get("spec").getAsString();
    }

    /** runs.failed_attempts: [{attempt, started_at, finished_at, error}], as RunPublisher writes it. */
    private static List<FailedAttempt> failedAttempts(Object json) {
        if (json == null) {
            return List.of();
        }
        List<FailedAttempt> attempts = new ArrayList<>();
        try {
            for (JsonElement e : JsonParser.parseString(json.toString()).getAsJsonArray()) {
                JsonObject a = e.getAsJsonObject();
                attempts.add(new FailedAttempt(instant(text(a, "started_at")), text(a, "error")));
            }
        } catch (JsonParseException | IllegalStateException e) {
            attempts.add(new FailedAttempt(null, "(unreadable failed_attempts)"));
        }
        return List.copyOf(attempts);
    }

    private static Instant instant(String iso) {
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String text(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : "?";
    }

    private static Job job(ResultReader reader, String name, List<Run> runs, Map<String, LocalDate> nights) throws IOException {
        // oldest good night first: the trend's order
        List<LocalDate> good = new ArrayList<>();
        Map<LocalDate, String> runIds = new HashMap<>();
        Map<LocalDate, NightCka> cka = new HashMap<>();
        for (int i = runs.size() - 1; i >= 0; i--) {
            Run run = runs.get(i);
            if (!run.succeeded() || !reader.exists(Table.LAYERS, run.runId()) || !reader.exists(Table.LAYER_CKA, run.runId())) {
                continue;
            }
            LocalDate date = nights.get(run.runId());
            good.add(date);
            runIds.put(date, run.runId());
            cka.put(date, NightCka.read(reader, run.runId()));
        }
        if (good.isEmpty()) {
            return new Job(name, List.copyOf(runs), List.of(), null, null, List.of());
        }
        NightCka latest = cka.get(good.get(good.size() - 1));
        List<Trend> trends = new ArrayList<>();
        for (int[] pair : trendPairs(latest.layers().size())) {
            String x = latest.layers().get(pair[0]);
            String y = latest.layers().get(pair[1]);
            List<Point> points = new ArrayList<>();
            for (LocalDate night : good) {
                GenericRecord r = cka.get(night).pair(x, y);
                // a night that analysed other layers, or whose CKA is undefined (NaN), has no point to draw
                if (r != null && !Double.isNaN((Double) r.get("cka"))) {
                    points.add(new Point(night, runIds.get(night), (Double) r.get("cka"), (Double) r.get("ci_low"),
                            (Double) r.get("ci_high")));
                }
            }
            trends.add(new Trend(x, y, List.copyOf(points)));
        }
        if (good.size() < 2) {
            return new Job(name, List.copyOf(runs), List.copyOf(trends), null, null, List.of());
        }
        NightCka before = cka.get(good.get(good.size() - 2));
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < latest.layers().size(); i++) {
            for (int j = i + 1; j < latest.layers().size(); j++) {
                String x = latest.layers().get(i);
                String y = latest.layers().get(j);
                GenericRecord was = before.pair(x, y);
                GenericRecord is = latest.pair(x, y);
                if (was != null && is != null) {
                    changes.add(new Change(x, y, (Double) was.get("cka"), (Double) is.get("cka")));
                }
            }
        }
        // largest |delta| first; an undefined one (NaN) last
        changes.sort(Comparator.comparingDouble((Change c) -> Double.isNaN(c.delta()) ? -1 : Math.abs(c.delta())).reversed());
        return new Job(name, List.copyOf(runs), List.copyOf(trends), runIds.get(good.get(good.size() - 2)),
                runIds.get(good.get(good.size() - 1)), List.copyOf(changes.subList(0, Math.min(CHANGES, changes.size()))));
    }

    /**
     * The layer pairs a trend follows, by index among n layers: first-last (the whole network), then
     * neighbours at the start, the middle and the end. At most four lines stay readable in one figure.
     */
    static List<int[]> trendPairs(int n) {
        Set<List<Integer>> pairs = new LinkedHashSet<>();
        if (n >= 2) {
            pairs.add(List.of(0, n - 1));
            pairs.add(List.of(0, 1));
            pairs.add(List.of((n - 2) / 2, (n - 2) / 2 + 1));
            pairs.add(List.of(n - 2, n - 1));
        }
        return pairs.stream().map(p -> new int[] {p.get(0), p.get(1)}).toList();
    }

    /** One good run's model a layers and its global, unbiased layer x layer CKA of model a, by layer names. */
    private record NightCka(List<String> layers, Map<String, GenericRecord> byPair) {
        static NightCka read(ResultReader reader, String runId) throws IOException {
            List<GenericRecord> rows = new ArrayList<>(reader.read(Table.LAYERS, runId,
                    r -> Vocabulary.MODEL_A.equals(r.get("model").toString())));
            rows.sort(Comparator.comparingInt(r -> (Integer) r.get("layer")));
            List<String> layers = rows.stream().map(r -> r.get("name").toString()).toList();
            Map<String, GenericRecord> byPair = new HashMap<>();
            for (GenericRecord r : reader.read(Table.LAYER_CKA, runId, RunsIndex::modelAGlobalUnbiased)) {
                byPair.put(key(layers.get((Integer) r.get("layer_x")), layers.get((Integer) r.get("layer_y"))), r);
            }
            return new NightCka(layers, byPair);
        }

        GenericRecord pair(String x, String y) {
            return byPair.get(key(x, y));
        }

        private static String key(String x, String y) {
            return x + "\u0000" + y;
        }
    }

    private static boolean modelAGlobalUnbiased(GenericRecord r) {
        return Vocabulary.GLOBAL.equals(r.get("scope").toString()) && Vocabulary.UNBIASED.equals(r.get("estimator").toString())
                && Vocabulary.MODEL_A.equals(r.get("model_x").toString()) && Vocabulary.MODEL_A.equals(r.get("model_y").toString());
    }
}
