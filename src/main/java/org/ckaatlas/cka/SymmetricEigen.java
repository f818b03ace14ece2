package org.ckaatlas.cka;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The eigen-decomposition of a real symmetric matrix, through ND4J's LAPACK (syev), the one place the
 * project calls it. One call at a time per JVM: executors run several tasks' channel redundancy at once,
 * and two test JVMs aborted in glibc's allocator (heap corruption) after runs that did, unexplained; a
 * decomposition of a C x C mean matrix takes milliseconds, so the lock costs nothing measurable.
 */
public final class SymmetricEigen {
    private static final Object LAPACK = new Object();

    /** Eigenvalues in ascending order, and the unit eigenvectors as the columns of {@code vectors}. */
    public record Decomposition(double[] values, double[][] vectors) {
        /** The eigenvector of the {@code k}-th value (0-based, ascending). */
        public double[] vector(int k) {
            double[] v = new double[vectors.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = vectors[i][k];
            }
            return v;
        }
    }

    private SymmetricEigen() {}

    /** Eigenvalues only, ascending. */
    public static double[] values(double[][] m) {
        return m.length == 0 ? new double[0] : run(m, false).values();
    }

    /** Eigenvalues, ascending, with their eigenvectors. */
    public static Decomposition of(double[][] m) {
        return run(m, true);
    }

    private static Decomposition run(double[][] m, boolean withVectors) {
        synchronized (LAPACK) {
            INDArray a = Nd4j.create(m).castTo(DataType.DOUBLE);
            double[] values = Eigen.symmetricGeneralizedEigenvalues(a, withVectors).toDoubleVector(); // vectors replace a's columns
            double[][] vectors = withVectors ? a.toDoubleMatrix() : null;
            // syev returns them ascending; sorted again so the contract does not rest on that
            Integer[] order = IntStream.range(0, values.length).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
            double[] sorted = new double[values.length];
            double[][] columns = withVectors ? new double[m.length][values.length] : null;
            for (int k = 0; k < order.length; k++) {
                sorted[k] = values[order[k]];
                if (withVectors) {
                    for (int i = 0; i < m.length; i++) {
                        columns[i][k] = vectors[i][order[k]];
                    }
                }
            }
            return new Decomposition(sorted, columns);
        }
    }
}
