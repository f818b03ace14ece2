/**
 * Models and their layer taps, through DJL. A {@link ModelSpec} is the serialisable recipe that travels
 * to executors; {@link ModelCache} turns it into a loaded {@link TappedNetwork} once per executor JVM
 * and device, never per task.
 */
package org.ckaatlas.model;
