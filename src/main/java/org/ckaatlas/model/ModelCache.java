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
    private record Key(ModelSpec spec, Device device) {}

    private static final Map<Key, TappedNetwork> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ModelCache() {}

    public static TappedNetwork get(ModelSpec spec, Device device) {
        return MODELS.computeIfAbsent(new Key(spec, device), key -> {
            LOADS.incrementAndGet();
            return load(key.spec(), key.device());
        });
    }

    /** A fresh network, not cached, in the device's layout ({@link Layout#forDevice}): for checks on the driver and for tools. */
    public static TappedNetwork load(ModelSpec spec, Device device) {
        return load(spec, device, Layout.forDevice(device));
    }

    /** A fresh network in the given layout: for benchmarks and tests that set the two side by side. */
    public static TappedNetwork load(ModelSpec spec, Device device, Layout layout) {
        if (layout == Layout.BLOCKED && device.isGpu()) {
            throw new IllegalArgumentException("the blocked layout is a CPU path; " + device + " runs dense");
        }
        return spec.isBuiltIn()
                ? new BuiltInNetwork(spec, device, ModelDescription.of(spec).inputSize(), layout)
                : TorchScriptNetwork.open(spec, device, layout);
    }

    /** How many models this JVM has built so far. */
    public static int loads() {
        return LOADS.get();
    }
}
