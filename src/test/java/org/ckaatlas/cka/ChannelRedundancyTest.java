package org.ckaatlas.cka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Channel redundancy against matrices whose answer is known by construction. */
class ChannelRedundancyTest {
    /** c channels in blocks (block[i] = channel i's block): within a block CKA {@code within}, across {@code across}. */
    private static float[] planted(int[] block, double within, double across, Random noise) {
        int c = block.length;
        float[] m = new float[c * c];
        for (int i = 0; i < c; i++) {
            for (int j = i; j < c; j++) {
                double v = i == j ? 1 : (block[i] == block[j] ? within : across) + (noise == null ? 0 : 0.02 * noise.nextDouble());
                m[i * c + j] = (float) Math.min(1, v);
                m[j * c + i] = m[i * c + j];
            }
        }
        return m;
    }

    @Test
    void theParticipationRatioOfEqualBlocksIsTheBlockCount() {
        for (int blocks : new int[] {1, 4, 16}) {
            int[] block = new int[64];
            for (int i = 0; i < 64; i++) {
                block[i] = i % blocks;
            }
            ChannelRedundancy r = ChannelRedundancy.of(planted(block, 1, 0, null), 64, 0.95);
            assertEquals(blocks, r.effectiveChannels(), 1e-9, blocks + " blocks");
            // the slow, obvious way: each block of s ones has one eigenvalue s, the rest are 0
            double[] expected = new double[64];
            for (int b = 0; b < blocks; b++) {
                expected[b] = 64.0 / blocks;
            }
            assertArrayEquals(expected, r.eigenvalues(), 1e-9);
        }
        int[] identity = new int[32];
        for (int i = 0; i < 32; i++) {
            identity[i] = i;
        }
        assertEquals(32, ChannelRedundancy.of(planted(identity, 1, 0, null), 32, 0.95).effectiveChannels(), 1e-9,
                "unrelated channels: as many as there are");
    }

    @Test
    void clusteringRecoversPlantedGroupsAndDeadChannelsAreSetApart() {
        // 40 channels in shuffled order: groups of 6, 5 and 3 near-duplicates (CKA ~0.97), the rest unrelated (~0.3)
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(3));
        int[] block = new int[40];
        int[][] planted = {new int[6], new int[5], new int[3]};
        int k = 0;
        for (int g = 0; g < planted.length; g++) {
            for (int i = 0; i < planted[g].length; i++) {
                planted[g][i] = order.get(k);
                block[order.get(k++)] = g;
            }
        }
        for (; k < 40; k++) {
            block[order.get(k)] = 100 + k; // alone
        }
        float[] m = planted(block, 0.96, 0.3, new Random(5));
        int deadChannel = order.get(39);
        for (int j = 0; j < 40; j++) {
            m[deadChannel * 40 + j] = Float.NaN;
            m[j * 40 + deadChannel] = Float.NaN;
        }
        ChannelRedundancy r = ChannelRedundancy.of(m, 40, 0.95);
        assertArrayEquals(new int[] {deadChannel}, r.dead());
        assertEquals(3, r.groups().size(), r.groups().toString());
        for (int g = 0; g < 3; g++) {
            int[] expected = planted[g].clone();
            java.util.Arrays.sort(expected);
            assertArrayEquals(expected, r.groups().get(g).channels(), "group " + g);
            assertEquals(0.97, r.groups().get(g).meanWithinCka(), 0.011);
        }
        assertEquals(0, ChannelRedundancy.of(m, 40, 0.99).groups().size(), "a stricter threshold: no duplicates");
    }
}
