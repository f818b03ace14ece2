package org.ckaatlas.analysis;

import java.io.Serializable;
import org.ckaatlas.cka.ChannelMean;

/** A partial sum of per-image channel-CKA matrices for one (scope, model, layer): merged by key. */
public record ChannelSum(Key key, ChannelMean sum) implements TaskOutput {
    /** Which mean a partial sum belongs to. */
    public record Key(String scope, String model, int layer) implements Serializable {}
}
