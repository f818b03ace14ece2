package org.ckaatlas.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TorchScript file whose forward returns a tuple of the layers to analyse, in the order its sidecar
 * names them. Every output is checked against the sidecar: a missing or misshapen layer fails loudly.
 *
 * <p>In the blocked layout, on a CPU, it loads the variant the sidecar names as {@code cpu_variant}
 * (scripts/export_torchscript.py --cpu-layout blocked writes one next to the dense file); without a
 * variant it runs the dense file. On a CPU either runs with the graph optimiser off ({@link
 * GraphOptimiser}): 1.05x for the dense file (scripts/bench-forward). A GPU keeps DJL's setting.
 */
final class TorchScriptNetwork extends ModelNetwork {
    private static final Logger LOG = LoggerFactory.getLogger(TorchScriptNetwork.class);

    /**
     * The blocked variant where the layout asks for it and the sidecar names one that loads; else the
     * dense file. A variant that does not load (damaged, or from a PyTorch this libtorch cannot read)
     * is a warning: the dense file computes the same numbers.
     */
    static TorchScriptNetwork open(ModelSpec spec, Device device, Layout layout) {
        Path variant = layout == Layout.BLOCKED ? ModelDescription.blockedVariant(spec) : null;
        if (variant != null) {
            try {
                return new TorchScriptNetwork(spec, device, variant);
            } catch (RuntimeException e) {
                LOG.warn("the blocked-layout CPU variant {} does not load ({}); running the dense file", variant, e.getMessage());
            }
        }
        return new TorchScriptNetwork(spec, device, null);
    }

    private TorchScriptNetwork(ModelSpec spec, Device device, Path blockedFile) {
        super(Model.newInstance("torchscript", device, "PyTorch"), ModelDescription.of(spec).layers(),
                blockedFile == null ? Layout.DENSE : Layout.BLOCKED);
        Path file = blockedFile == null ? Path.of(spec.path()) : blockedFile;
        boolean loaded = false;
        try {
            model.load(file);
            loaded = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalArgumentException(file + " is not a TorchScript file: " + e.getMessage(), e);
        } finally {
            if (!loaded) {
                model.close(); // whatever the failure, the native model goes with it
            }
        }
    }

    @Override
    public void forward(NDArray images, TapSink sink) {
        List<LayerInfo> layers = layers();
        Supplier<NDList> run = () -> model.getBlock().forward(new ParameterStore(images.getManager(), false), new NDList(images), false);
        NDList outputs = device().isGpu() ? run.get() : GraphOptimiser.off(run);
        try {
            if (outputs.size() != layers.size()) {
                throw new IllegalStateException("the TorchScript returns " + outputs.size() + " outputs; its sidecar names "
                        + layers.size() + " layers");
            }
            long n = images.getShape().get(0);
            for (int i = 0; i < layers.size(); i++) {
                LayerInfo layer = layers.get(i);
                Shape expected = new Shape(n, layer.channels(), layer.height(), layer.width());
                if (!outputs.get(i).getShape().equals(expected)) {
                    throw new IllegalStateException("output " + i + " (" + layer.name() + ") has shape "
                            + outputs.get(i).getShape() + "; the sidecar says " + expected);
                }
                sink.accept(i, outputs.get(i));
            }
        } finally {
            outputs.close();
        }
    }

}
