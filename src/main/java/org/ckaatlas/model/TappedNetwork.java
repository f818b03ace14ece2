package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A network that reports the outputs of its analysed layers. Safe to share between task threads for
 * inference: it holds parameters only, and every forward pass allocates in the caller's manager.
 */
public interface TappedNetwork {
    /** The analysed layers, in the order {@link #forward} reports them. */
    List<LayerInfo> layers();

    Device device();

    /** The activation layout its forward runs in. */
    Layout layout();

    /**
     * Runs a batch (N, 3, H, W) and hands each tapped output (N, C, h, w) to the sink in layer order.
     * Each output is closed after the sink returns, so only one layer's activations live at a time.
     */
    void forward(NDArray images, TapSink sink);
}
