package org.ckaatlas.analysis;

/**
 * The run ran but cannot publish (too many undecodable images, no usable batch, the driver was
 * stopped): its runs row says failed with this message, and the command exits 3.
 */
public final class RunFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RunFailedException(String message) {
        super(message);
    }

    public RunFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
