package org.ckaatlas.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * VGG11's convolutional trunk (Simonyan and Zisserman 2015, configuration "A"), as torchvision's
 * {@code vgg11().features}: eight 3x3 convolutions, each followed by ReLU, with 2x2 max-pooling after
 * conv1, conv2, conv4, conv6 and conv8. The classifier head has no analysed layer, so it is not built.
 *
 * <p>Layer names and torchvision's module names: conv1 = features.0, conv2 = features.3,
 * conv3 = features.6, conv4 = features.8, conv5 = features.11, conv6 = features.13,
 * conv7 = features.16, conv8 = features.18.
 */
public final class Vgg11 extends AbstractBlock {
    private static final int[] FILTERS = {64, 128, 256, 256, 512, 512, 512, 512};
    /** Whether a 2x2 max-pool follows conv i (0-based). */
    private static final boolean[] POOL_AFTER = {true, true, false, true, false, true, false, true};

    private final List<Conv2d> convs = new ArrayList<>();

    public Vgg11() {
        for (int i = 0; i < FILTERS.length; i++) {
            convs.add(addChildBlock(name(i), Conv2d.builder()
                    .setKernelShape(new Shape(3, 3))
                    .optPadding(new Shape(1, 1))
                    .setFilters(FILTERS[i])
                    .build()));
        }
    }

    /** Whether a 2x2 max-pool follows each conv, in order (a copy). */
    static boolean[] poolAfter() {
        return POOL_AFTER.clone();
    }

    /** Each conv's weight then bias, in order: the arrays the block holds, not copies. */
    List<NDArray> weights() {
        List<NDArray> weights = new ArrayList<>();
        for (Conv2d conv : convs) {
            for (Parameter p : conv.getDirectParameters().values()) {
                weights.add(p.getArray());
            }
        }
        return List.copyOf(weights);
    }

    public static String name(int layer) {
        return "conv" + (layer + 1);
    }

    /** The analysed layers for a square input of the given size. */
    public static List<LayerInfo> layers(int inputSize, boolean postRelu) {
        List<LayerInfo> layers = new ArrayList<>();
        int size = inputSize;
        for (int i = 0; i < FILTERS.length; i++) {
            layers.add(new LayerInfo(name(i), postRelu ? "post-relu" : "pre-relu", FILTERS[i], size, size));
            if (POOL_AFTER[i]) {
                size /= 2;
            }
        }
        return layers;
    }

    /**
     * The forward pass, reporting each conv output (before its ReLU unless {@code postRelu}) to the
     * sink and freeing it, and every intermediate, as soon as the next one exists.
     */
    public void forwardTaps(ParameterStore store, NDArray images, boolean postRelu, TapSink sink) {
        NDArray x = images;
        for (int i = 0; i < convs.size(); i++) {
            NDArray conv = convs.get(i).forward(store, new NDList(x), false).singletonOrThrow();
            if (x != images) {
                x.close();
            }
            NDArray relu = Activation.relu(conv);
            sink.accept(i, postRelu ? relu : conv);
            conv.close();
            if (POOL_AFTER[i] && i < convs.size() - 1) {
                x = Pool.maxPool2d(relu, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
                relu.close();
            } else {
                x = relu;
            }
        }
        x.close();
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList taps = new NDList();
        NDManager manager = inputs.head().getManager();
        forwardTaps(store, inputs.head(), false, (layer, output) -> taps.add(output.duplicate()));
        taps.forEach(t -> t.attach(manager));
        return taps;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long batch = inputShapes[0].get(0);
        return layers((int) inputShapes[0].get(2), false).stream()
                .map(l -> new Shape(batch, l.channels(), l.height(), l.width()))
                .toArray(Shape[]::new);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape shape = inputShapes[0];
        for (int i = 0; i < convs.size(); i++) {
            convs.get(i).initialize(manager, dataType, shape);
            long size = shape.get(2);
            size = POOL_AFTER[i] ? size / 2 : size;
            shape = new Shape(shape.get(0), FILTERS[i], size, size);
        }
    }
}
