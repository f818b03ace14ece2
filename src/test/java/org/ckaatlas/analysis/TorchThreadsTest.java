package org.ckaatlas.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** libtorch's thread count is per thread: each task thread gets the executor's share, also after something changed it. */
class TorchThreadsTest {
    @Test
    void everyTaskThreadRunsWithItsShare() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2); // pooled, as Spark's task threads are
        try {
            for (int task = 0; task < 4; task++) {
                int[] seen = pool.submit(() -> {
                    TorchThreads.configure(2);
                    int share = Integer.getInteger(TorchThreads.PROPERTY);
                    int first = JniUtils.getNumThreads();
                    JniUtils.setNumThreads(share + 1); // what another library, or an earlier task, may leave
                    TorchThreads.configure(2);
                    return new int[] {share, first, JniUtils.getNumThreads()};
                }).get();
                assertEquals(seen[0], seen[1], "the share, on a fresh or a reused thread");
                assertEquals(seen[0], seen[2], "the share again, after the count was changed on this thread");
            }
        } finally {
            pool.shutdown();
        }
    }
}
