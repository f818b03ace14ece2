package org.ckaatlas.render;

import java.awt.Color;
import java.io.File;
import java.io.IOException;
import java.text.SimpleDateFormat;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.DateTickUnit;
import org.jfree.chart.axis.DateTickUnitType;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.Range;
import org.jfree.data.general.DatasetUtils;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * One job's CKA over its nights: a line per layer pair, a point per good night, the bootstrap interval
 * as a band around it (none where the night had no interval).
 */
public final class TrendChart {
    public static final int WIDTH = 760;
    public static final int HEIGHT = 380;
    private static final long DAY_MS = 86_400_000L;
    private static final Color[] COLOURS = {new Color(0x31688e), new Color(0x35b779), new Color(0xb5367a), new Color(0xe8a33a)};

    private final String job;
    private final List<RunsIndex.Trend> trends;

    public TrendChart(String job, List<RunsIndex.Trend> trends) {
        this.job = job;
        this.trends = trends;
    }

    /** What is drawn: a series per trend, x the night (UTC midnight, epoch ms), y its CKA within [ci_low, ci_high]. */
    public YIntervalSeriesCollection series() {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (RunsIndex.Trend t : trends) {
            YIntervalSeries s = new YIntervalSeries(t.label(), false, true);
            for (RunsIndex.Point p : t.points()) {
                boolean interval = p.ciLow() != null && p.ciHigh() != null;
                s.add(epochMs(p.night()), p.cka(), interval ? p.ciLow() : p.cka(), interval ? p.ciHigh() : p.cka());
            }
            data.addSeries(s);
        }
        return data;
    }

    static long epochMs(LocalDate night) {
        return night.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    JFreeChart chart() {
        YIntervalSeriesCollection data = series();
        DateAxis x = new DateAxis("night (UTC)");
        x.setTimeZone(TimeZone.getTimeZone(ZoneOffset.UTC));
        // whole days only: with a few nights the automatic units would label hours of one day
        SimpleDateFormat day = new SimpleDateFormat("yyyy-MM-dd", Locale.ROOT);
        day.setTimeZone(TimeZone.getTimeZone(ZoneOffset.UTC));
        TickUnits units = new TickUnits();
        for (int days : new int[] {1, 2, 7, 14, 28, 56, 112, 364}) {
            units.add(new DateTickUnit(DateTickUnitType.DAY, days, day));
        }
        x.setStandardTickUnits(units);
        Range nights = DatasetUtils.findDomainBounds(data);
        if (nights != null) {
            // half a day either side, so that a single night is a visible point, not an empty range
            x.setRange(nights.getLowerBound() - DAY_MS / 2.0, nights.getUpperBound() + DAY_MS / 2.0);
        }
        NumberAxis y = new NumberAxis("CKA");
        y.setAutoRangeIncludesZero(false);
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
            renderer.setSeriesFillPaint(i, COLOURS[i % COLOURS.length]);
        }
        renderer.setAlpha(0.2f);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart("CKA night by night: " + job, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle("model a, scope global, unbiased; band: 95% bootstrap interval over batches"));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    public void writePng(File file) throws IOException {
        ChartUtils.saveChartAsPNG(file, chart(), WIDTH, HEIGHT);
    }
}
