package org.ckaatlas.cka;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import org.ckaatlas.model.GraphOptimiser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each image's x y^T for a batch, (B, M, K) x (B, N, K) -> (B, M, N). On a CPU in float32 the products run
 * in oneDNN's inner product, through a weightless TorchScript program (scripts/make_inner_products.py);
 * elsewhere, and where the program cannot run, in libtorch's matmul.
 *
 * <p>Why oneDNN: libtorch's matmul runs on MKL, and on a 2-core AMD EPYC with AVX-512 MKL's sgemm topped out
 * near 190 GFLOP/s, about half of what oneDNN's kernels ran on the same cores (the forward's convolutions
 * are oneDNN's: 260-360). That fits MKL taking its AVX2 path on a CPU not made by Intel; oneDNN picks its
 * kernels by instruction set. Channel CKA's second product ran 313-362 GFLOP/s here against matmul's
 * 176-202 (docs/performance.md). The two agree to float32 rounding (InnerProductsTest; ChannelCkaTest checks both
 * against float64).
 */
public final class InnerProducts {
    private static final Logger LOG = LoggerFactory.getLogger(InnerProducts.class);
    private static final String RESOURCE = "inner_products.pt";

    /**
     * The smallest product (M x N entries) oneDNN takes. Smaller products are few entries over many terms,
     * where oneDNN ran no faster or slower: VGG11's conv1 and conv2 (64 x 64 and 128 x 128 over 12,544-25,088
     * terms) 100 against 103 GFLOP/s and 166-175 against 163; a batch of 32's layer Grams (32 x 32 over
     * 0.1-3.2 M) 55-70 against 113-125. From 256 x 256 up it ran 1.6-1.7x faster (scripts/bench-cka, part 1b).
     */
    private static final long ONEDNN_MIN_OUTPUT = 256 * 256;

    /**
     * The fewest terms per entry oneDNN takes. Over fewer, a product is bound by writing its output, and
     * oneDNN's per-image layout copies cost more than its kernels save: 512 x 512 over 128 terms for 64
     * images took 29.1 ms against matmul's 25.9, over 4 terms (VGG11 at 32 x 32 input) 19.8 against 6.6;
     * over 196 (a 14 x 14 map) 35.2 against 37.2.
     */
    private static final long ONEDNN_MIN_TERMS = 192;

    private InnerProducts() {}

    /** @return x_b y_b^T for every b, in x's manager; oneDNN's is an inference tensor, not for in-place updates */
    public static NDArray of(NDArray x, NDArray y) {
        return onOneDnn(x, y) ? OneDnn.products((PtNDArray) x, (PtNDArray) y) : x.matMul(y.transpose(0, 2, 1));
    }

    /** Whether {@link #of} runs these products on oneDNN: float32 on a CPU, large enough, over enough terms, and this libtorch can. */
    public static boolean onOneDnn(NDArray x, NDArray y) {
        return x.getShape().get(1) * y.getShape().get(1) >= ONEDNN_MIN_OUTPUT && x.getShape().get(2) >= ONEDNN_MIN_TERMS
                && x.getDevice().getDeviceType().equals(Device.Type.CPU)
                && x.getDataType() == DataType.FLOAT32 && y.getDataType() == DataType.FLOAT32
                && x instanceof PtNDArray && y instanceof PtNDArray
                && OneDnn.PROGRAM != null;
    }

    /** The program, loaded once per JVM on first use; null where this libtorch cannot run it. */
    static final class OneDnn {
        /** Owns the program for the JVM's lifetime; the products live in their inputs' managers. */
        private static final NDManager OWNER = NDManager.newBaseManager(Device.cpu(), "PyTorch");

        static final PtSymbolBlock PROGRAM = load(InnerProducts.class.getResourceAsStream(RESOURCE));

        /** The program, tried once; null, with a warning, where it is missing, does not load or does not run. */
        static PtSymbolBlock load(InputStream resource) {
            PtSymbolBlock program = null;
            try (InputStream in = resource) {
                if (in == null) {
                    throw new IllegalStateException("the jar lacks org/ckaatlas/cka/" + RESOURCE);
                }
                program = JniUtils.loadModule((PtNDManager) OWNER, in, false, false);
                // a libtorch built without oneDNN loads the program and fails on its first call: try one
                try (NDManager probe = OWNER.newSubManager()) {
                    NDArray x = probe.ones(new Shape(1, 2, 3));
                    call(program, (PtNDArray) x, (PtNDArray) x);
                }
                return program;
            } catch (IOException | RuntimeException e) {
                LOG.warn("oneDNN's inner products cannot run here ({}); channel CKA uses matmul", e.getMessage());
                if (program != null) {
                    program.close();
                }
                return null;
            }
        }

        static NDArray products(PtNDArray x, PtNDArray y) {
            return call(PROGRAM, x, y);
        }

        private static NDArray call(PtSymbolBlock program, PtNDArray x, PtNDArray y) {
            // every layer is a new shape, which the graph optimiser would profile again for nothing
            try (IValue a = IValue.from(x);
                    IValue b = IValue.from(y)) {
                return GraphOptimiser.off(() -> {
                    try (IValue out = program.forward(a, b)) {
                        return out.toTensor(x.getManager());
                    }
                });
            }
        }
    }
}
