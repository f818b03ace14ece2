/**
 * Rendered summaries of a run, read back from its Parquet tables (no Spark): heatmaps with axes,
 * labels and a colour bar (JFreeChart, headless), and one offline {@code index.html} per run.
 */
package org.ckaatlas.render;
