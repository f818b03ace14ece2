package org.ckaatlas.job;

import java.io.Serializable;

/** What became of one listed file: decoded (with its size) or failed (with the reason). */
record ImageOutcome(String imageId, String label, int batch, String error, int width, int height)
        implements Serializable {
    static ImageOutcome ok(String imageId, String label, int batch, int width, int height) {
        return new ImageOutcome(imageId, label, batch, null, width, height);
    }

    static ImageOutcome failed(String imageId, String label, int batch, String error) {
        return new ImageOutcome(imageId, label, batch, error, 0, 0);
    }

    boolean isOk() {
        return error == null;
    }
}
