package org.ckaatlas.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import java.util.Random;

/**
 * He (Kaiming) normal initialisation, fan-out mode, as torchvision initialises VGG's convolutions:
 * N(0, 2 / (out_channels x kernel area)). Draws come from one {@link java.util.Random} seeded once,
 * in the order parameters are initialised, so every JVM builds bit-identical weights from the same
 * seed, independently of libtorch's own generator.
 */
final class SeededKaimingNormal implements Initializer {
    private final Random random;

    SeededKaimingNormal(long seed) {
        this.random = new Random(seed);
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        long fanOut = shape.size() / shape.get(1);
        double std = Math.sqrt(2.0 / fanOut);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return manager.create(values, shape).toType(dataType, false);
    }
}
