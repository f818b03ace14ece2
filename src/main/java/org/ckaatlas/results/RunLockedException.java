package org.ckaatlas.results;

/** Another live driver is running the same run id into the same output root. */
public final class RunLockedException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    public RunLockedException(String message) {
        super(message);
    }
}
