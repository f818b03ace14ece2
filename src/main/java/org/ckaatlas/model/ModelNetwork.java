package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.Model;
import java.util.List;

/** A tapped network backed by one DJL model: its device, its layers, and closing it. */
abstract class ModelNetwork implements TappedNetwork, AutoCloseable {
    protected final Model model;
    private final List<LayerInfo> layers;
    private final Layout layout;

    ModelNetwork(Model model, List<LayerInfo> layers, Layout layout) {
        this.model = model;
        this.layers = layers;
        this.layout = layout;
    }

    @Override
    public List<LayerInfo> layers() {
        return layers;
    }

    @Override
    public Layout layout() {
        return layout;
    }

    @Override
    public Device device() {
        return model.getNDManager().getDevice();
    }

    @Override
    public void close() {
        model.close();
    }
}
