package org.ckaatlas.analysis;

import java.io.Serializable;

/** What became of one listed file: decoded (with its size) or failed (with the reason). */
public record ImageOutcome(String imageId, String label, int batch, String error, int width, int height)
        implements Serializable {
    public static ImageOutcome ok(String imageId, String label, int batch, int width, int height) {
        return new ImageOutcome(imageId, label, batch, null, width, height);
    }

    public static ImageOutcome failed(String imageId, String label, int batch, String error) {
        return new ImageOutcome(imageId, label, batch, error, 0, 0);
    }

    public boolean isOk() {
        return error == null;
    }
}
