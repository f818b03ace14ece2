package org.ckaatlas.analysis;

import java.io.Serializable;

/**
 * What a task emits, as it goes: one small result per batch (for the driver), and partial channel-CKA
 * sums and permuted HSIC (combined by key on the executors; only their p-values reach the driver).
 */
public sealed interface TaskOutput extends Serializable permits BatchResult, ChannelSum, NullSum {}
