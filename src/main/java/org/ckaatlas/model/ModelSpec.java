package org.ckaatlas.model;

import java.io.Serializable;
import java.util.Locale;

/**
 * What to load, as given on the command line: a recipe that travels to executors, never a model.
 * <ul>
 *   <li>{@code vgg11}, {@code vgg11:seed=N} or {@code vgg11:seed=N,input=S}: the built-in VGG11 trunk, randomly initialised from the seed, for S x S images (default 224);</li>
 *   <li>{@code torchscript:PATH}: a TorchScript file made by scripts/export_torchscript.py, its sidecar
 *       at PATH.json;</li>
 *   <li>{@code djl:PATH}: built-in VGG11 parameters saved with DJL's {@code Block.saveParameters}.</li>
 * </ul>
 *
 * @param kind vgg11, torchscript or djl
 * @param path the file, for torchscript and djl
 * @param seed the initialisation seed, for vgg11
 * @param inputSize the square input size of the built-in network (TorchScript models say theirs in the sidecar)
 * @param postRelu for the built-in network: tap each conv after its ReLU instead of before
 */
public record ModelSpec(String kind, String path, long seed, boolean postRelu, int inputSize) implements Serializable {
    public static final String FORMS = "vgg11, vgg11:seed=N[,input=S], torchscript:PATH, djl:PATH";

    /** A recipe at the built-in input size, 224. */
    public ModelSpec(String kind, String path, long seed, boolean postRelu) {
        this(kind, path, seed, postRelu, ModelDescription.BUILT_IN_INPUT);
    }

    /** @throws IllegalArgumentException naming the valid forms */
    public static ModelSpec parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String kind = (colon < 0 ? t : t.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? "" : t.substring(colon + 1);
        switch (kind) {
            case "vgg11":
                long seed = 0;
                int input = ModelDescription.BUILT_IN_INPUT;
                for (String option : rest.isEmpty() ? new String[0] : rest.split(",")) {
                    try {
                        if (option.startsWith("seed=")) {
                            seed = Long.parseLong(option.substring(5));
                        } else if (option.startsWith("input=")) {
                            // a smaller image through the same channel widths: VGG11's shape at a fraction of its cost
                            input = Integer.parseInt(option.substring(6));
                            if (input < 16 || input % 16 != 0) {
                                throw new IllegalArgumentException("input size must be a multiple of 16 (four 2x2 poolings "
                                        + "before conv7), at least 16, in '" + text + "'");
                            }
                        } else {
                            throw new IllegalArgumentException("unknown model option '" + option + "' in '" + text
                                    + "' (known: seed=N, input=S)");
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("model option '" + option + "' is not a number in '" + text + "'");
                    }
                }
                return new ModelSpec(kind, null, seed, false, input);
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
        return new ModelSpec(kind, path, seed, post, inputSize);
    }

    public boolean isBuiltIn() {
        return !kind.equals("torchscript");
    }

    @Override
    public String toString() {
        String base = kind.equals("vgg11") ? "vgg11:seed=" + seed
                + (inputSize == ModelDescription.BUILT_IN_INPUT ? "" : ",input=" + inputSize) : kind + ":" + path;
        return postRelu ? base + " (post-relu)" : base;
    }
}
