package org.ckaatlas.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The built-in trunk's CPU forward in oneDNN's blocked layout: a weightless TorchScript program
 * (scripts/make_blocked_trunk.py) that takes the network's own weights and pooling pattern on every
 * call. Activations stay blocked from the first convolution to the last, and only the taps come back
 * dense; the eager path converts layouts around every convolution instead. Same operations, same
 * oneDNN kernels: the taps are bit-identical to the eager ones (Vgg11Test), 1.2-1.4x sooner
 * (scripts/bench-forward).
 */
final class BlockedTrunk implements AutoCloseable {
    private static final String RESOURCE = "blocked_trunk.pt";

    private final PtSymbolBlock program;

    BlockedTrunk(PtNDManager manager) {
        try (InputStream in = BlockedTrunk.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks org/ckaatlas/model/" + RESOURCE);
            }
            program = JniUtils.loadModule(manager, in, false, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param weights each convolution's weight then bias, in order
     * @param poolAfter whether a 2x2 max-pool follows each convolution
     */
    void forward(NDArray images, List<NDArray> weights, boolean[] poolAfter, boolean postRelu, TapSink sink) {
        PtNDManager manager = (PtNDManager) images.getManager();
        PtNDArray[] taps;
        try (IValue x = IValue.from((PtNDArray) images);
                IValue w = IValue.listFrom(weights.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new));
                IValue pools = IValue.listFrom(poolAfter);
                IValue post = IValue.from(postRelu)) {
            taps = GraphOptimiser.off(() -> {
                try (IValue out = program.forward(x, w, pools, post)) {
                    return out.toTensorArray(manager);
                }
            });
        }
        for (int i = 0; i < taps.length; i++) {
            try (NDArray tap = taps[i]) {
                sink.accept(i, tap);
            }
        }
    }

    @Override
    public void close() {
        program.close();
    }
}
