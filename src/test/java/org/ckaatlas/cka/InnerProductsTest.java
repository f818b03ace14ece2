package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** oneDNN's inner products against libtorch's matmul in float64, which products take them, and a program that cannot run. */
class InnerProductsTest {
    @Test
    void oneDnnsProductsAreEachImagesProductToFloat32Rounding() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = manager.randomNormal(new Shape(3, 256, 300));
            NDArray y = manager.randomNormal(new Shape(3, 320, 300));
            assertTrue(InnerProducts.onOneDnn(x, y), "this libtorch runs oneDNN's inner product");
            NDArray products = InnerProducts.of(x, y);
            assertEquals(new Shape(3, 256, 320), products.getShape());
            assertSame(x.getManager(), products.getManager(), "the products live as long as their inputs' manager");
            assertEquals(DataType.FLOAT32, products.getDataType());
            double[] expected = x.toType(DataType.FLOAT64, true).matMul(y.toType(DataType.FLOAT64, true).transpose(0, 2, 1)).toDoubleArray();
            float[] actual = products.toFloatArray();
            for (int k = 0; k < expected.length; k++) {
                // a sum of 300 products of unit normals: |value| ~ 17, float32 rounding ~ 1e-5 of the terms' scale
                assertEquals(expected[k], actual[k], 1e-3, "entry " + k);
            }
        }
    }

    @Test
    void aProgramThatDoesNotLoadOrIsMissingLeavesMatmulWithAWarningNotAnError() {
        assertNull(InnerProducts.OneDnn.load(new ByteArrayInputStream("not a TorchScript archive".getBytes(StandardCharsets.UTF_8))));
        assertNull(InnerProducts.OneDnn.load(null));
        PtSymbolBlock program = InnerProducts.OneDnn.load(InnerProducts.class.getResourceAsStream("inner_products.pt"));
        assertNotNull(program, "the jar's own program loads and runs here");
        program.close();
    }

    @Test
    void smallProductsOtherTypesAndLibtorchsOwnTakeMatmulWithTheSameResult() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray narrow = manager.randomNormal(new Shape(2, 128, 50));
            assertFalse(InnerProducts.onOneDnn(narrow, narrow), "128 x 128 is below oneDNN's threshold");
            assertArrayEquals(narrow.matMul(narrow.transpose(0, 2, 1)).toFloatArray(), InnerProducts.of(narrow, narrow).toFloatArray());
            NDArray short32 = manager.randomNormal(new Shape(2, 512, 16));
            assertFalse(InnerProducts.onOneDnn(short32, short32), "16 terms are too few");
            assertArrayEquals(short32.matMul(short32.transpose(0, 2, 1)).toFloatArray(), InnerProducts.of(short32, short32).toFloatArray());
            NDArray wide64 = manager.randomNormal(new Shape(1, 256, 400)).toType(DataType.FLOAT64, true);
            assertFalse(InnerProducts.onOneDnn(wide64, wide64), "oneDNN has no float64 inner product");
            assertArrayEquals(wide64.matMul(wide64.transpose(0, 2, 1)).toDoubleArray(), InnerProducts.of(wide64, wide64).toDoubleArray());
        }
    }
}
