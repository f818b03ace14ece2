/**
 * The Spark job: wires data, model and cka together and publishes the run's tables. Everything that
 * needs Spark lives here and in cli. {@link CkaJob#run} reads like the data flow in DESIGN.md.
 */
package org.ckaatlas.job;
