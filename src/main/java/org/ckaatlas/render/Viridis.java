package org.ckaatlas.render;

import java.awt.Color;
import java.awt.Paint;
import org.jfree.chart.renderer.PaintScale;

/**
 * matplotlib's viridis (perceptually uniform, readable in grey and by colour-blind readers), as a
 * JFreeChart paint scale: nine anchors, linear between them. NaN is drawn light grey.
 */
final class Viridis implements PaintScale {
    static final Color UNDEFINED = new Color(0xd0d0d0);
    private static final int[] ANCHORS = {
        0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xfde725};

    private final double lower;
    private final double upper;

    Viridis(double lower, double upper) {
        this.lower = lower;
        this.upper = upper;
    }

    @Override
    public double getLowerBound() {
        return lower;
    }

    @Override
    public double getUpperBound() {
        return upper;
    }

    @Override
    public Paint getPaint(double value) {
        return colour(value);
    }

    Color colour(double value) {
        if (Double.isNaN(value)) {
            return UNDEFINED;
        }
        double t = Math.max(0, Math.min(1, (value - lower) / (upper - lower))) * (ANCHORS.length - 1);
        int i = Math.min((int) t, ANCHORS.length - 2);
        double f = t - i;
        Color a = new Color(ANCHORS[i]);
        Color b = new Color(ANCHORS[i + 1]);
        return new Color(mix(a.getRed(), b.getRed(), f), mix(a.getGreen(), b.getGreen(), f), mix(a.getBlue(), b.getBlue(), f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }
}
