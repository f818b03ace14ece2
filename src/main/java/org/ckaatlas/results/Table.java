package org.ckaatlas.results;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;

/** The run's tables, each with its schema from {@code src/main/avro/<name>.avsc}. */
public enum Table {
    RUNS("runs"),
    IMAGES("images"),
    LAYERS("layers"),
    HSIC_BATCHES("hsic_batches"),
    LAYER_CKA("layer_cka"),
    CHANNEL_CKA("channel_cka"),
    CHANNEL_CKA_MEAN("channel_cka_mean"),
    CHANNEL_GROUPS("channel_groups"),
    FEATURE_GRIDS("feature_grids");

    private final String dirName;
    private Schema schema;

    Table(String dirName) {
        this.dirName = dirName;
    }

    /** The folder under the output root, and the name of the SQL view. */
    public String dirName() {
        return dirName;
    }

    public synchronized Schema schema() {
        if (schema == null) {
            try (InputStream in = Table.class.getResourceAsStream("/avro/" + dirName + ".avsc")) {
                schema = new Schema.Parser().parse(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return schema;
    }

    /** {@code <out>/<table>/run_id=<id>}: where one run's rows of this table live. */
    public String partitionPath(String out, String runId) {
        return trimSlash(out) + "/" + dirName + "/" + partition(runId);
    }

    public static String partition(String runId) {
        return "run_id=" + runId;
    }

    static String trimSlash(String path) {
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
