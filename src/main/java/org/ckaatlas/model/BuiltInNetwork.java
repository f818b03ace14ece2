package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The built-in VGG11 trunk on one device: weights drawn from the spec's seed, or loaded (djl:PATH).
 * The DJL block holds the weights; on a CPU the forward runs them through {@link BlockedTrunk}, on a
 * GPU through the block's own eager forward.
 */
final class BuiltInNetwork extends ModelNetwork {
    private final Vgg11 block;
    private final BlockedTrunk blocked;
    /** What the blocked trunk takes on each call: the block's own weight arrays and its pooling pattern. */
    private final List<NDArray> weights;
    private final boolean[] poolAfter = Vgg11.poolAfter();

    private final boolean postRelu;

    BuiltInNetwork(ModelSpec spec, Device device, int inputSize, Layout layout) {
        super(Model.newInstance("vgg11", device, "PyTorch"), Vgg11.layers(inputSize, spec.postRelu()), layout);
        block = new Vgg11();
        block.setInitializer(new SeededKaimingNormal(spec.seed()), Parameter.Type.WEIGHT);
        block.setInitializer(Initializer.ZEROS, Parameter.Type.BIAS);
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, inputSize, inputSize));
        if (spec.kind().equals("djl")) {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(Path.of(spec.path()))))) {
                block.loadParameters(model.getNDManager(), in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (MalformedModelException e) {
                throw new IllegalArgumentException(spec.path() + " does not hold VGG11 parameters: " + e.getMessage(), e);
            }
        }
        // inference only: no parameter records gradients, so no autograd graph is ever built
        block.freezeParameters(true);
        postRelu = spec.postRelu();
        blocked = layout == Layout.BLOCKED ? new BlockedTrunk((PtNDManager) model.getNDManager()) : null;
        weights = block.weights();
    }

    /** Writes this network's parameters where {@code djl:PATH} can load them. */
    void saveParameters(Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            block.saveParameters(out);
        }
    }

    @Override
    public void forward(NDArray images, TapSink sink) {
        if (blocked != null) {
            blocked.forward(images, weights, poolAfter, postRelu, sink);
        } else {
            block.forwardTaps(new ParameterStore(images.getManager(), false), images, postRelu, sink);
        }
    }

    @Override
    public void close() {
        if (blocked != null) {
            blocked.close();
        }
        super.close();
    }
}
