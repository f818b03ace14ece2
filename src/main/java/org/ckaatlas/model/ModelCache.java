package org.ckaatlas.model;

import ai.djl.Device;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JVM-wide holder of loaded models, keyed by recipe and device: a model is built once per
 * executor JVM and device, and shared by every task thread there (DJL's Spark extension loads once per
 * task instead). The load count is reported in the results, so a test can hold us to it.
 */
public final class ModelCache {
    private record Key(ModelSpec spec, Device device, int inputSize) {}

    private static final Map<Key, TappedNetwork> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ModelCache() {}

    public static TappedNetwork get(ModelSpec spec, Device device, int inputSize) {
        return MODELS.computeIfAbsent(new Key(spec, device, inputSize), key -> {
            LOADS.incrementAndGet();
            return new BuiltInNetwork(key.spec(), key.device(), key.inputSize());
        });
    }

    /** How many models this JVM has built so far. */
    public static int loads() {
        return LOADS.get();
    }
}
