package org.ckaatlas.analysis;

import java.io.Serializable;

/**
 * What a task emits, as it goes: one small result per batch (for the driver), and partial channel-CKA
 * sums (combined by key on the executors, never sent to the driver).
 */
public sealed interface TaskOutput extends Serializable permits BatchResult, ChannelSum {}
