package org.ckaatlas.cli;

/** The --taps flag: which tensor of a built-in conv layer is analysed. */
final class Taps {
    private Taps() {}

    /** @return true for post-relu; @throws IllegalArgumentException for anything else than the two names */
    static boolean parse(String taps) {
        switch (taps) {
            case "pre-relu":
                return false;
            case "post-relu":
                return true;
            default:
                throw new IllegalArgumentException("--taps must be pre-relu or post-relu, not '" + taps + "'");
        }
    }
}
