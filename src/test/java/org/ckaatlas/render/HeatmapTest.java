package org.ckaatlas.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;

class HeatmapTest {
    /** The colour of cell (row, column), sampled near its top-left corner, clear of the printed value. */
    private static Color cell(JFreeChart chart, BufferedImage image, ChartRenderingInfo info, int row, int column) {
        XYPlot plot = chart.getXYPlot();
        Rectangle2D area = info.getPlotInfo().getDataArea();
        double x = plot.getDomainAxis().valueToJava2D(column - 0.4, area, RectangleEdge.BOTTOM);
        double y = plot.getRangeAxis().valueToJava2D(row - 0.4, area, RectangleEdge.LEFT);
        return new Color(image.getRGB((int) Math.round(x), (int) Math.round(y)));
    }

    private static double lightness(Color c) {
        return 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
    }

    @Test
    void cellColoursAreOrderedAsTheValuesAndTheFirstRowIsAtTheTop() {
        double[][] values = {{1.0, 0.2, 0.6}, {0.2, 1.0, 0.4}, {0.6, 0.4, 1.0}};
        for (boolean asImage : new boolean[] {false, true}) {
            double[][] m = values;
            List<String> names = List.of("first", "second", "third");
            if (asImage) {
                // the same matrix blown up past the block limit: each value fills a 30 x 30 square
                m = new double[90][90];
                for (int r = 0; r < 90; r++) {
                    for (int c = 0; c < 90; c++) {
                        m[r][c] = values[r / 30][c / 30];
                    }
                }
                names = null;
            }
            Heatmap heatmap = new Heatmap("t", "s", names, names, m);
            JFreeChart chart = heatmap.chart();
            ChartRenderingInfo info = new ChartRenderingInfo();
            BufferedImage image = chart.createBufferedImage(600, 560, info);
            int scale = asImage ? 30 : 1;
            int offset = asImage ? 15 : 0;
            double[] sampled = new double[9];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    Color colour = cell(chart, image, info, r * scale + offset, c * scale + offset);
                    assertEquals(heatmap.scale().colour(values[r][c]), colour, "cell " + r + "," + c + (asImage ? " (image)" : ""));
                    sampled[r * 3 + c] = lightness(colour);
                }
            }
            // viridis grows lighter with the value: 0.2 < 0.4 < 0.6 < 1.0
            assertTrue(sampled[1] < sampled[5] && sampled[5] < sampled[2] && sampled[2] < sampled[0], java.util.Arrays.toString(sampled));
        }
    }

    /**
     * Small multiples share one scale: the same value has the same colour in a panel that has negative
     * values and in one that has none, and a negative value is drawn in the red ramp the legend shows.
     */
    @Test
    void panelsOnASharedScaleAgreeAndANegativeValueIsRedAsItsLegendSays() {
        double[][] withNegative = {{1.0, -0.3}, {-0.3, 0.5}};
        double[][] allPositive = {{1.0, 0.5}, {0.5, 0.9}};
        CkaScale shared = CkaScale.covering(withNegative, allPositive);
        List<String> names = List.of("x", "y");
        Color[] half = new Color[2];
        double[][][] panels = {withNegative, allPositive};
        int[][] halfCell = {{1, 1}, {0, 1}};
        for (int p = 0; p < 2; p++) {
            Heatmap heatmap = new Heatmap("t", "s", names, names, panels[p]).withScale(shared).withoutValues();
            JFreeChart chart = heatmap.chart();
            ChartRenderingInfo info = new ChartRenderingInfo();
            BufferedImage image = chart.createBufferedImage(400, 360, info);
            half[p] = cell(chart, image, info, halfCell[p][0], halfCell[p][1]);
            if (p == 0) {
                Color negative = cell(chart, image, info, 0, 1);
                assertEquals(shared.colour(-0.3), negative, "the cell is drawn in its scale's colour");
                assertEquals(CkaScale.NEGATIVE_FLOOR, negative, "the lowest value: the red ramp's floor");
                assertTrue(negative.getRed() > 2 * negative.getGreen() && negative.getRed() > 2 * negative.getBlue(), negative.toString());
                // the colour bar is drawn from the very same scale, from -0.3 up to 1
                org.jfree.chart.title.PaintScaleLegend legend = chart.getSubtitles().stream()
                        .filter(t -> t instanceof org.jfree.chart.title.PaintScaleLegend).map(t -> (org.jfree.chart.title.PaintScaleLegend) t)
                        .findFirst().orElseThrow();
                assertTrue(legend.getScale() == shared, "legend and cells share the scale");
                assertEquals(-0.3, legend.getAxis().getLowerBound(), 1e-12);
            }
        }
        assertEquals(half[0], half[1], "0.5 has one colour on a shared scale");
        assertEquals(new Viridis(0, 1).colour(0.5), half[0], "non-negative values keep viridis from 0 to 1");
    }
}
