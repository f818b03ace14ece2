package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Loads a model on the driver's CPU and runs one blank image, so a broken model fails before any job starts. */
public final class ModelCheck {
    private ModelCheck() {}

    /** @throws IllegalArgumentException with one line saying what does not match */
    public static void check(ModelSpec spec) {
        ModelDescription description = ModelDescription.of(spec);
        TappedNetwork network;
        try {
            network = NativeCalls.run(() -> ModelCache.load(spec, Device.cpu()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load " + spec + ": " + firstLine(e));
        }
        TappedNetwork loaded = network;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            int size = description.inputSize();
            NativeCalls.run(() -> {
                loaded.forward(manager.zeros(new Shape(1, 3, size, size)), (layer, output) -> { });
                return null;
            });
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(spec + " does not match its sidecar: " + firstLine(e));
        } finally {
            if (network instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception ignored) {
                    // a check's model: nothing depends on its release
                }
            }
        }
    }

    private static String firstLine(Exception e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
