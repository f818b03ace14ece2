package org.ckaatlas.analysis;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckaatlas.cka.ChannelCka;
import org.ckaatlas.cka.ChannelMean;

/**
 * A task's running channel-CKA sums. Class batches of one label come one after another, so a label's
 * sums are handed on as soon as its batches are done: a task holds the global sums and one label's at
 * most, however many labels the data set has.
 */
final class ChannelSums {
    private final Map<ChannelSum.Key, ChannelMean> open = new LinkedHashMap<>();

    /** Adds a batch's reduced channel CKA ({@link ChannelCka#reduce} with sums). */
    void add(String scope, String model, int layer, ChannelCka.Reduced batch) {
        open.computeIfAbsent(new ChannelSum.Key(scope, model, layer), k -> new ChannelMean(batch.channels()))
                .add(batch.sums(), batch.counts(), batch.images());
    }

    /** Hands on the sums of every scope other than {@code keep} and the global one. */
    List<ChannelSum> closeAllBut(String keep) {
        List<ChannelSum> closed = new ArrayList<>();
        for (Iterator<Map.Entry<ChannelSum.Key, ChannelMean>> it = open.entrySet().iterator(); it.hasNext();) {
            Map.Entry<ChannelSum.Key, ChannelMean> e = it.next();
            String scope = e.getKey().scope();
            if (!scope.equals(keep) && !scope.equals(org.ckaatlas.results.Vocabulary.GLOBAL)) {
                closed.add(new ChannelSum(e.getKey(), e.getValue()));
                it.remove();
            }
        }
        return closed;
    }

    /** Hands on everything left (at the task's end). */
    List<ChannelSum> closeAll() {
        List<ChannelSum> closed = new ArrayList<>();
        open.forEach((k, v) -> closed.add(new ChannelSum(k, v)));
        open.clear();
        return closed;
    }
}
