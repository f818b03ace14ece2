package org.ckaatlas.model;

import ai.djl.ndarray.NDArray;

/** Receives each tapped layer output of a batch as soon as it exists; it is freed right after. */
@FunctionalInterface
public interface TapSink {
    void accept(int layer, NDArray output);
}
