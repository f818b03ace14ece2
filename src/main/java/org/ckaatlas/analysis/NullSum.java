package org.ckaatlas.analysis;

import org.ckaatlas.cka.PermutationNull;

/** One batch's permuted HSIC for a scope's permutation null: summed by scope on the executors. */
public record NullSum(String scope, PermutationNull sum) implements TaskOutput {}
