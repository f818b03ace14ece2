package org.ckaatlas.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An executor's part file: committed, it is the table's part; its folder gone, it fails and brings nothing back. */
class PartFileTest {
    private static final Schema SCHEMA = SchemaBuilder.record("row").fields().requiredInt("x").endRecord();

    @TempDir
    java.nio.file.Path dir;

    private static GenericRecord row(int x) {
        GenericData.Record r = new GenericData.Record(SCHEMA);
        r.put("x", x);
        return r;
    }

    @Test
    void aCommittedFileIsThePartitionsPartAndNothingElseIsLeft() throws Exception {
        java.nio.file.Path table = Files.createDirectories(dir.resolve("_staging/run_id=r/attempt/channel_cka"));
        Configuration conf = new Configuration();
        try (PartFile part = new PartFile(new Path(table.toString()), SCHEMA, 3, "7", conf)) {
            for (int x = 0; x < 5; x++) {
                part.write(row(x));
            }
            part.commit();
        }
        try (var files = Files.list(table)) {
            assertEquals(List.of("part-00003.parquet"), files.map(f -> f.getFileName().toString()).toList());
        }
        List<Integer> read = new ArrayList<>();
        try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(
                HadoopInputFile.fromPath(new Path(table.resolve("part-00003.parquet").toUri()), conf)).withConf(conf).build()) {
            for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
                read.add((Integer) r.get("x"));
            }
        }
        assertEquals(List.of(0, 1, 2, 3, 4), read);
    }

    @Test
    void aTaskStillRunningAfterItsRunRemovedItsStagingFailsAndDoesNotBringItBack() throws Exception {
        java.nio.file.Path run = Files.createDirectories(dir.resolve("_staging/run_id=r"));
        java.nio.file.Path table = Files.createDirectories(run.resolve("attempt/channel_cka"));
        PartFile part = new PartFile(new Path(table.toString()), SCHEMA, 0, "1", new Configuration());
        // the driver failed the run and removed its staging while the task was in a forward pass
        try (var walk = Files.walk(run)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> part.write(row(1)));
        assertTrue(e.getMessage().startsWith("writing channel_cka: "), e.getMessage());
        part.abort(); // the task's failure listener
        assertFalse(Files.exists(run), "the removed staging stays removed");
    }
}
