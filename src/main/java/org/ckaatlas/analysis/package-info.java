/**
 * What one run computes, with no Spark in it: the configuration ({@link RunConfig}), the plan of
 * batches fixed before anything is decoded ({@link RunPlan}), one batch's analysis on an executor
 * ({@link BatchAnalysis}), the small mergeable result that reaches the driver ({@link RunResult}) and the
 * rows of every table ({@link ResultRows}). The job package wires these into Spark; tests drive them
 * directly.
 */
package org.ckaatlas.analysis;
