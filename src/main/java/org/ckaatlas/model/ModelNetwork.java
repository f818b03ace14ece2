package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.Model;
import java.util.List;

/** A tapped network backed by one DJL model: its device, its layers, and closing it. */
abstract class ModelNetwork implements TappedNetwork, AutoCloseable {
    protected final Model model;
    private final List<LayerInfo> layers;

    ModelNetwork(Model model, List<LayerInfo> layers) {
        this.model = model;
        this.layers = layers;
    }

    @Override
    public List<LayerInfo> layers() {
        return layers;
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
