package org.ckaatlas.render;

import java.awt.Color;
import java.awt.Paint;
import org.jfree.chart.renderer.PaintScale;

/**
 * The colour scale of every CKA figure: viridis from 0 to 1, and, when some value is negative, a red
 * ramp from the lowest value up to 0, so that a negative CKA is never mistaken for a small positive one.
 * (Unbiased HSIC can be slightly negative when a scope has few images.) One instance is shared by all
 * panels that are compared, so one colour means one value across them.
 */
final class CkaScale implements PaintScale {
    static final Color NEGATIVE_FLOOR = new Color(0x9e1b1b);
    private static final Color NEGATIVE_TOP = new Color(0xf4c7c3);

    private final double lower;
    private final Viridis positive = new Viridis(0, 1);

    /** @param lowest the lowest value on the figures it colours (NaN ignored); the scale starts at min(0, lowest) */
    CkaScale(double lowest) {
        this.lower = Double.isNaN(lowest) ? 0 : Math.min(0, lowest);
    }

    /** The scale for these matrices together. */
    static CkaScale covering(double[][]... matrices) {
        double lowest = 0;
        for (double[][] m : matrices) {
            for (double[] row : m) {
                for (double v : row) {
                    if (!Double.isNaN(v)) {
                        lowest = Math.min(lowest, v);
                    }
                }
            }
        }
        return new CkaScale(lowest);
    }

    boolean hasNegatives() {
        return lower < 0;
    }

    @Override
    public double getLowerBound() {
        return lower;
    }

    @Override
    public double getUpperBound() {
        return 1;
    }

    @Override
    public Paint getPaint(double value) {
        return colour(value);
    }

    Color colour(double value) {
        if (Double.isNaN(value)) {
            return Viridis.UNDEFINED;
        }
        if (value >= 0 || lower == 0) {
            return positive.colour(value);
        }
        double f = Math.min(1, value / lower); // 0 at zero, 1 at the lowest value
        return new Color(mix(NEGATIVE_TOP.getRed(), NEGATIVE_FLOOR.getRed(), f), mix(NEGATIVE_TOP.getGreen(), NEGATIVE_FLOOR.getGreen(), f),
                mix(NEGATIVE_TOP.getBlue(), NEGATIVE_FLOOR.getBlue(), f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }
}
