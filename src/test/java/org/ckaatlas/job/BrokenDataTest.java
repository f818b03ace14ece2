package org.ckaatlas.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.cli.Cli;
import org.ckaatlas.data.SampleData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A night's run never dies on one file: broken files are recorded and skipped; too many fail the run. */
class BrokenDataTest {
    @TempDir
    static Path dir;

    static Path data;

    @BeforeAll
    static void brokenFolder() throws Exception {
        data = dir.resolve("data");
        SampleData.write(data, 3, 4, 9);
        Files.move(data.resolve("c02_blobs"), data.resolve("café au lait"));
        byte[] jpeg = Files.readAllBytes(data.resolve("c00_grating/c00_grating_0000.JPEG"));
        Files.write(data.resolve("c00_grating/truncated.JPEG"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.write(data.resolve("c00_grating/empty.jpg"), new byte[0]);
        Files.writeString(data.resolve("c01_checkerboard/text.JPEG"), "this is not a JPEG");
        Files.writeString(data.resolve("c01_checkerboard/README.txt"), "not an image, not listed");
        Files.write(data.resolve("c01_checkerboard/.hidden.jpg"), jpeg);
        Files.createDirectories(data.resolve("empty class"));
    }

    private static String run(int expectedExit, String runId, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--data", data.toString(), "--out", dir.resolve("out").toString(),
                "--run-id", runId, "--model", Cli.TINY_MODEL, "--batch-size", "5", "--master", "local[2]", "--bootstrap", "0"));
        args.addAll(List.of(extra));
        return Cli.expect(expectedExit, args).text();
    }

    @Test
    void brokenFilesAreRecordedWithAReasonAndTheRunGoesOn() {
        run(0, "tolerant", "--max-failed-fraction", "0.5");
        run(3, "strict");
        SparkSession spark = SparkSessions.create("local[1]", "read back");
        try {
            for (String table : List.of("runs", "images", "layer_cka")) {
                spark.read().parquet(dir.resolve("out").resolve(table).toString()).createOrReplaceTempView(table);
            }
            Map<String, String> status = new TreeMap<>();
            for (Row r : spark.sql("SELECT image_id, status, error FROM images WHERE run_id = 'tolerant'").collectAsList()) {
                status.put(r.getString(0), r.getString(1) + (r.isNullAt(2) ? "" : ": " + r.getString(2)));
            }
            assertEquals(15, status.size(), "12 images and 3 broken files are listed; README.txt and .hidden.jpg are not: " + status);
            assertTrue(status.get("c00_grating/truncated.JPEG").startsWith("failed: truncated"), status.toString());
            assertTrue(status.get("c00_grating/empty.jpg").startsWith("failed: empty file"), status.toString());
            assertTrue(status.get("c01_checkerboard/text.JPEG").startsWith("failed: not an image"), status.toString());
            assertEquals(12L, status.values().stream().filter(s -> s.equals("ok")).count());
            assertEquals(4L, status.keySet().stream().filter(k -> k.startsWith("café au lait/")).count());
            Row tolerant = spark.sql("SELECT status, images_ok, images_failed FROM runs WHERE run_id = 'tolerant'").first();
            assertEquals("succeeded 12 3", tolerant.getString(0) + " " + tolerant.getLong(1) + " " + tolerant.getLong(2));

            Row strict = spark.sql("SELECT status, error FROM runs WHERE run_id = 'strict'").first();
            assertEquals("failed", strict.getString(0));
            assertTrue(strict.getString(1).contains("3 of 15 images failed") && strict.getString(1).contains("--max-failed-fraction"),
                    strict.getString(1));
            assertEquals(0L, spark.sql("SELECT count(*) FROM layer_cka WHERE run_id = 'strict'").first().getLong(0),
                    "a failed run publishes nothing but its runs row");
            assertEquals(0L, spark.sql("SELECT count(*) FROM images WHERE run_id = 'strict'").first().getLong(0));
        } finally {
            spark.stop();
        }
    }
}
