package org.ckaatlas.cka;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a layer's mean channel x channel CKA matrix M says about redundancy, for a pruning study:
 * <ul>
 *   <li>dead channels: those whose diagonal is undefined (no variance on any image);
 *   <li>the eigen-spectrum of M over the live channels (undefined entries as 0), largest first, and the
 *       effective number of distinct channels, the participation ratio (sum lambda)^2 / sum lambda^2: C for C
 *       unrelated channels, 1 when all are one;
 *   <li>groups of near-duplicates: average-linkage clustering on the distance 1 - CKA, merged while the
 *       two closest clusters are on average within 1 - threshold; groups of two or more are reported.
 * </ul>
 */
public record ChannelRedundancy(int channels, int[] dead, double[] eigenvalues, double effectiveChannels, List<Group> groups) {

    /** Channels that are near-duplicates of each other, and their mean pairwise CKA. */
    public record Group(int[] channels, double meanWithinCka) {}

    /**
     * @param mean row-major c x c mean channel CKA (NaN where undefined)
     * @param threshold the CKA above which channels count as duplicates (0.95 by default)
     */
    public static ChannelRedundancy of(float[] mean, int c, double threshold) {
        int[] live = java.util.stream.IntStream.range(0, c).filter(i -> !Float.isNaN(mean[i * c + i])).toArray();
        int[] dead = java.util.stream.IntStream.range(0, c).filter(i -> Float.isNaN(mean[i * c + i])).toArray();
        int m = live.length;
        double[][] cka = new double[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = 0; b < m; b++) {
                float v = mean[live[a] * c + live[b]];
                cka[a][b] = Float.isNaN(v) ? 0 : v;
            }
        }
        double[] eigen = eigenvalues(cka);
        double sum = 0;
        double squares = 0;
        for (double l : eigen) {
            sum += l;
            squares += l * l;
        }
        double effective = squares == 0 ? 0 : sum * sum / squares;
        return new ChannelRedundancy(c, dead, eigen, effective, groups(cka, live, 1 - threshold));
    }

    private static double[] eigenvalues(double[][] m) {
        double[] values = SymmetricEigen.values(m);
        double[] descending = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            descending[i] = values[values.length - 1 - i];
        }
        return descending;
    }

    /** Average linkage (UPGMA) with the Lance-Williams update, cut at {@code cut}; groups of 2+, largest first. */
    static List<Group> groups(double[][] cka, int[] ids, double cut) {
        int m = cka.length;
        double[][] d = new double[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = 0; b < m; b++) {
                d[a][b] = 1 - cka[a][b];
            }
        }
        List<List<Integer>> members = new ArrayList<>();
        boolean[] active = new boolean[m];
        for (int a = 0; a < m; a++) {
            members.add(new ArrayList<>(List.of(a)));
            active[a] = true;
        }
        while (true) {
            int bi = -1;
            int bj = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int a = 0; a < m; a++) {
                if (!active[a]) {
                    continue;
                }
                for (int b = a + 1; b < m; b++) {
                    if (active[b] && d[a][b] < best) {
                        best = d[a][b];
                        bi = a;
                        bj = b;
                    }
                }
            }
            if (bi < 0 || best > cut) {
                break;
            }
            int si = members.get(bi).size();
            int sj = members.get(bj).size();
            for (int k = 0; k < m; k++) {
                if (active[k] && k != bi && k != bj) {
                    double merged = (si * d[k][bi] + sj * d[k][bj]) / (si + sj);
                    d[k][bi] = merged;
                    d[bi][k] = merged;
                }
            }
            members.get(bi).addAll(members.get(bj));
            active[bj] = false;
        }
        List<Group> groups = new ArrayList<>();
        for (int a = 0; a < m; a++) {
            List<Integer> g = members.get(a);
            if (!active[a] || g.size() < 2) {
                continue;
            }
            double within = 0;
            int pairs = 0;
            for (int x : g) {
                for (int y : g) {
                    if (x < y) {
                        within += cka[x][y];
                        pairs++;
                    }
                }
            }
            int[] channels = g.stream().mapToInt(i -> ids[i]).sorted().toArray();
            groups.add(new Group(channels, within / pairs));
        }
        groups.sort(Comparator.comparingInt((Group g) -> -g.channels().length).thenComparingInt(g -> g.channels()[0]));
        return groups;
    }
}
