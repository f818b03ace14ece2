package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.List;

/** A built-in architecture (VGG11) on one device, its weights drawn from the spec's seed. */
final class BuiltInNetwork implements TappedNetwork, AutoCloseable {
    private final Model model;
    private final Vgg11 block;
    private final List<LayerInfo> layers;

    BuiltInNetwork(ModelSpec spec, Device device, int inputSize) {
        block = new Vgg11();
        block.setInitializer(new SeededKaimingNormal(spec.seed()), Parameter.Type.WEIGHT);
        block.setInitializer(Initializer.ZEROS, Parameter.Type.BIAS);
        model = Model.newInstance(spec.architecture(), device, "PyTorch");
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, inputSize, inputSize));
        // inference only: no parameter records gradients, so no autograd graph is ever built
        block.freezeParameters(true);
        layers = Vgg11.layers(inputSize, false);
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
    public void forward(NDArray images, TapSink sink) {
        block.forwardTaps(new ParameterStore(images.getManager(), false), images, false, sink);
    }

    @Override
    public void close() {
        model.close();
    }
}
