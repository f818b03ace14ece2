package org.ckaatlas.model;

import ai.djl.Device;

/**
 * How a network's activations are laid out between its layers. On a CPU, oneDNN's blocked layout
 * (channels in blocks of 8 or 16, the form its convolution kernels compute in) avoids converting every
 * activation to and from the dense layout around each convolution. It is a CPU path only: on a GPU the
 * forward runs dense, as cuDNN expects.
 */
public enum Layout {
    /** The ordinary (N, C, H, W) strided layout, converted around each oneDNN call on a CPU. */
    DENSE,
    /** oneDNN's blocked layout from the first convolution to the last tap; CPU only. */
    BLOCKED;

    /** The layout a forward on this device uses. */
    public static Layout forDevice(Device device) {
        return device.isGpu() ? DENSE : BLOCKED;
    }
}
