package org.ckaatlas.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** PyTorch's F.interpolate(bilinear, align_corners=False) on cases whose answer is known by hand. */
class BilinearResizeTest {
    @Test
    void sameSizeIsTheIdentity() {
        float[] src = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(src, BilinearResize.resize(src, 2, 3, 2, 3));
    }

    @Test
    void halvingAveragesEachTwoByTwoBlock() {
        // source coordinate of output d is 2d + 0.5: the mean of pixels 2d and 2d+1 on each axis
        float[] src = {
            1, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
            13, 14, 15, 16};
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, BilinearResize.resize(src, 4, 4, 2, 2), 1e-6f);
    }

    @Test
    void doublingMatchesTorch() {
        // torch.nn.functional.interpolate(torch.tensor([[[[0., 4.]]]]), size=(1, 4), mode='bilinear',
        // align_corners=False) = [0, 1, 3, 4]: the edge clamps, the inside is at 1/4 and 3/4
        assertArrayEquals(new float[] {0, 1, 3, 4}, BilinearResize.resize(new float[] {0, 4}, 1, 2, 1, 4), 1e-6f);
    }

    @Test
    void preprocessingNormalisesWithImagenetStatistics() {
        java.awt.image.BufferedImage white = new java.awt.image.BufferedImage(5, 3, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                white.setRGB(x, y, 0xffffff);
            }
        }
        float[] t = Preprocessing.resize(4).apply(white);
        assertEquals(3 * 16, t.length);
        for (int c = 0; c < 3; c++) {
            float expected = (1f - Preprocessing.IMAGENET_MEAN[c]) / Preprocessing.IMAGENET_STD[c];
            assertEquals(expected, t[c * 16 + 5], 1e-6f);
        }
    }
}
