package org.ckaatlas.analysis;

import java.io.Serializable;
import java.util.Set;
import org.ckaatlas.data.BatchPlan;
import org.ckaatlas.results.Vocabulary;

/**
 * One batch of one scope, as a task receives it.
 *
 * @param scope "global" or "class:<label>"
 * @param channelImages the images of this batch whose per-image channel CKA (and feature grids) are
 *     computed in this pass: every image gets them once, in its class pass when classes run (a class
 *     batch holds one label, so a task's per-class means stay few), else in the global pass
 */
public record WorkItem(String scope, BatchPlan.Batch batch, Set<String> channelImages) implements Serializable {
    public boolean isClassScope() {
        return Vocabulary.isClassScope(scope);
    }
}
