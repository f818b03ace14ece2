package org.ckaatlas.analysis;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.model.ModelDescription;
import org.ckaatlas.model.ModelSpec;

/**
 * One model of a run, resolved on the driver: its label in the tables ('a', or 'b' for --compare), its
 * recipe, the analysed layers, and for each analysed layer the position of its tap in the network's
 * output order.
 */
public record AnalysedModel(String label, ModelSpec spec, List<LayerInfo> layers, int[] taps, int inputSize)
        implements Serializable {

    /**
     * @param selection layer names or 0-based indices; empty for all layers
     * @throws UsageException for a missing file, a bad sidecar or an unknown layer, listing the valid ones
     */
    public static AnalysedModel resolve(String label, ModelSpec spec, List<String> selection, String flag) {
        ModelDescription description;
        try {
            description = ModelDescription.of(spec);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<LayerInfo> all = description.layers();
        if (selection.isEmpty()) {
            int[] taps = new int[all.size()];
            for (int i = 0; i < taps.length; i++) {
                taps[i] = i;
            }
            return new AnalysedModel(label, spec, all, taps, description.inputSize());
        }
        List<LayerInfo> layers = new ArrayList<>();
        int[] taps = new int[selection.size()];
        for (int i = 0; i < selection.size(); i++) {
            int tap = find(all, selection.get(i));
            if (tap < 0) {
                throw new UsageException(flag + ": no layer '" + selection.get(i) + "' in " + spec + " (valid: "
                        + String.join(", ", description.names()) + ", or 0.." + (all.size() - 1) + ")");
            }
            taps[i] = tap;
            layers.add(all.get(tap));
        }
        return new AnalysedModel(label, spec, List.copyOf(layers), taps, description.inputSize());
    }

    private static int find(List<LayerInfo> all, String wanted) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).name().equals(wanted)) {
                return i;
            }
        }
        if (wanted.matches("\\d+") && Integer.parseInt(wanted) < all.size()) {
            return Integer.parseInt(wanted);
        }
        return -1;
    }

    /** For each tap of the network, its position among the analysed layers, or -1 when not analysed. */
    public int[] positionOfTap(int tapCount) {
        int[] position = new int[tapCount];
        java.util.Arrays.fill(position, -1);
        for (int i = 0; i < taps.length; i++) {
            position[taps[i]] = i;
        }
        return position;
    }

    /** Provenance for the runs table: the recipe, the analysed layers, and the model file's SHA-256. */
    public Map<String, Object> identity() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spec", spec.toString());
        m.put("layers", layers.stream().map(LayerInfo::name).toArray());
        m.put("tap", layers.get(0).tap());
        m.put("input_size", inputSize);
        if (spec.path() != null) {
            m.put("sha256", sha256(Path.of(spec.path())));
        }
        return m;
    }

    private static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int r = in.read(buffer); r > 0; r = in.read(buffer)) {
                digest.update(buffer, 0, r);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            return "unreadable: " + e.getMessage();
        }
    }
}
