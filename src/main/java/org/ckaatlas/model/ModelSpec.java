package org.ckaatlas.model;

import java.io.Serializable;
import java.util.Locale;

/**
 * What to load, as given on the command line: a recipe that travels to executors, never a model.
 * {@code vgg11} or {@code vgg11:seed=N} — the built-in VGG11, randomly initialised from the seed.
 */
public record ModelSpec(String architecture, long seed) implements Serializable {
    public static final long DEFAULT_SEED = 0;

    /** @throws IllegalArgumentException naming the valid forms */
    public static ModelSpec parse(String text) {
        String[] parts = text.trim().split(":", 2);
        String arch = parts[0].toLowerCase(Locale.ROOT);
        if (!arch.equals("vgg11")) {
            throw new IllegalArgumentException("unknown model '" + text + "' (known: vgg11, vgg11:seed=N)");
        }
        long seed = DEFAULT_SEED;
        if (parts.length == 2) {
            if (!parts[1].startsWith("seed=")) {
                throw new IllegalArgumentException("unknown model option '" + parts[1] + "' in '" + text + "' (known: seed=N)");
            }
            try {
                seed = Long.parseLong(parts[1].substring("seed=".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("model seed is not a number in '" + text + "'");
            }
        }
        return new ModelSpec(arch, seed);
    }

    @Override
    public String toString() {
        return architecture + ":seed=" + seed;
    }
}
