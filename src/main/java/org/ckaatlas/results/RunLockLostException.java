package org.ckaatlas.results;

/**
 * This attempt's lock is no longer its own: the driver was silent long enough (paused, or cut off from
 * the file system) for another to judge it dead and take the run id over. It must stop and write nothing.
 */
public final class RunLockLostException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    public RunLockLostException(String message) {
        super(message);
    }
}
