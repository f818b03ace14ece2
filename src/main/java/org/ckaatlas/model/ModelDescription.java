package org.ckaatlas.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a model offers for analysis, known on the driver without loading it: its layers (name, tap,
 * output shape) and the input size it expects. For TorchScript it comes from the sidecar.
 */
public record ModelDescription(List<LayerInfo> layers, int inputSize) {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDescription.class);
    public static final int BUILT_IN_INPUT = 224;

    /** @throws IllegalArgumentException with a line that says what is missing or wrong */
    public static ModelDescription of(ModelSpec spec) {
        switch (spec.kind()) {
            case "vgg11":
                return new ModelDescription(Vgg11.layers(spec.inputSize(), spec.postRelu()), spec.inputSize());
            case "djl":
                requireFile(spec.path(), "DJL parameters");
                return new ModelDescription(Vgg11.layers(BUILT_IN_INPUT, spec.postRelu()), BUILT_IN_INPUT);
            case "torchscript":
                requireFile(spec.path(), "TorchScript file");
                return sidecar(Path.of(spec.path() + ".json"));
            default:
                throw new IllegalArgumentException("unknown model kind " + spec.kind());
        }
    }

    /**
     * The blocked-layout CPU variant a TorchScript sidecar names ({@code "cpu_variant": {"layout":
     * "blocked", "file": NAME}}, NAME beside the sidecar), or null when it names none or the file is
     * not there (copied without it, say): the dense file computes the same numbers, only slower, so
     * that is a warning, not a failure.
     */
    static Path blockedVariant(ModelSpec spec) {
        Path sidecar = Path.of(spec.path() + ".json");
        Path file = read(sidecar, "has no readable cpu_variant", json -> {
            JsonObject variant = json.has("cpu_variant") ? json.getAsJsonObject("cpu_variant") : null;
            return variant == null || !"blocked".equals(variant.get("layout").getAsString())
                    ? null : sidecar.resolveSibling(variant.get("file").getAsString());
        });
        if (file != null && !Files.isRegularFile(file)) {
            LOG.warn("{} names a blocked-layout CPU variant {} that is not there; running the dense file", sidecar, file);
            return null;
        }
        return file;
    }

    /** Index of each layer name, in order; used to resolve --layers. */
    public List<String> names() {
        return layers.stream().map(LayerInfo::name).toList();
    }

    private static ModelDescription sidecar(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no sidecar " + file + " (scripts/export_torchscript.py writes it)");
        }
        return read(file, "is not a cka-atlas sidecar", json -> {
            int inputSize = json.get("input_size").getAsInt();
            String tap = json.has("taps") ? json.get("taps").getAsString() : "output";
            List<LayerInfo> layers = new ArrayList<>();
            for (JsonElement e : json.getAsJsonArray("layers")) {
                JsonObject layer = e.getAsJsonObject();
                JsonArray shape = layer.getAsJsonArray("shape");
                if (shape.size() != 3) {
                    throw new IllegalArgumentException("sidecar " + file + ": layer " + layer.get("name")
                            + " has shape " + shape + "; cka-atlas analyses (C, h, w) feature maps");
                }
                layers.add(new LayerInfo(layer.get("name").getAsString(), tap, shape.get(0).getAsInt(),
                        shape.get(1).getAsInt(), shape.get(2).getAsInt()));
            }
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("sidecar " + file + " lists no layers");
            }
            return new ModelDescription(List.copyOf(layers), inputSize);
        });
    }

    /** A sidecar's JSON through {@code reader}; an unreadable file, or JSON without what it needs, is one line. */
    private static <T> T read(Path sidecar, String failure, Function<JsonObject, T> reader) {
        try {
            return reader.apply(JsonParser.parseString(Files.readString(sidecar)).getAsJsonObject());
        } catch (IOException | JsonParseException | IllegalStateException | NullPointerException
                | UnsupportedOperationException e) {
            throw new IllegalArgumentException("sidecar " + sidecar + " " + failure + ": " + e.getMessage());
        }
    }

    private static void requireFile(String path, String what) {
        if (!Files.isRegularFile(Path.of(path))) {
            throw new IllegalArgumentException("no " + what + " at " + path);
        }
    }
}
