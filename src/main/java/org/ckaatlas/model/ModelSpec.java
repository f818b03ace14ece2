package org.ckaatlas.model;

import java.io.Serializable;
import java.util.Locale;

/**
 * What to load, as given on the command line: a recipe that travels to executors, never a model.
 * <ul>
 *   <li>{@code vgg11} or {@code vgg11:seed=N}: the built-in VGG11 trunk, randomly initialised from the seed;</li>
 *   <li>{@code torchscript:PATH}: a TorchScript file made by scripts/export_torchscript.py, its sidecar
 *       at PATH.json;</li>
 *   <li>{@code djl:PATH}: built-in VGG11 parameters saved with DJL's {@code Block.saveParameters}.</li>
 * </ul>
 *
 * @param kind vgg11, torchscript or djl
 * @param path the file, for torchscript and djl
 * @param seed the initialisation seed, for vgg11
 * @param postRelu for the built-in network: tap each conv after its ReLU instead of before
 */
public record ModelSpec(String kind, String path, long seed, boolean postRelu) implements Serializable {
    public static final String FORMS = "vgg11, vgg11:seed=N, torchscript:PATH, djl:PATH";

    /** @throws IllegalArgumentException naming the valid forms */
    public static ModelSpec parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String kind = (colon < 0 ? t : t.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? "" : t.substring(colon + 1);
        switch (kind) {
            case "vgg11":
                if (rest.isEmpty()) {
                    return new ModelSpec(kind, null, 0, false);
                }
                if (rest.startsWith("seed=")) {
                    try {
                        return new ModelSpec(kind, null, Long.parseLong(rest.substring(5)), false);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("model seed is not a number in '" + text + "'");
                    }
                }
                throw new IllegalArgumentException("unknown model option '" + rest + "' in '" + text + "' (known: seed=N)");
            case "torchscript":
            case "djl":
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("'" + text + "' needs a file: " + kind + ":PATH");
                }
                // absolute, because executors resolve relative paths from their own working folders
                return new ModelSpec(kind, java.nio.file.Path.of(rest).toAbsolutePath().normalize().toString(), 0, false);
            default:
                throw new IllegalArgumentException("unknown model '" + text + "' (known: " + FORMS + ")");
        }
    }

    /** The same recipe with the built-in network's taps after (true) or before (false) each ReLU. */
    public ModelSpec withPostRelu(boolean post) {
        return new ModelSpec(kind, path, seed, post);
    }

    public boolean isBuiltIn() {
        return !kind.equals("torchscript");
    }

    @Override
    public String toString() {
        String base = kind.equals("vgg11") ? "vgg11:seed=" + seed : kind + ":" + path;
        return postRelu ? base + " (post-relu)" : base;
    }
}
