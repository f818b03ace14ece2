package org.ckaatlas.analysis;

/** The run cannot start as configured (no such folder, too few images...): the user must change it. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
