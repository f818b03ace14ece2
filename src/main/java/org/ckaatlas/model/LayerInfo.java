package org.ckaatlas.model;

import java.io.Serializable;

/**
 * One analysed layer: its name, which tensor is taken, and its output shape for one image.
 *
 * @param tap "pre-relu" (the conv output itself) or "post-relu"
 */
public record LayerInfo(String name, String tap, int channels, int height, int width) implements Serializable {
    /** Features per image, C x h x w. */
    public long features() {
        return (long) channels * height * width;
    }
}
