package org.ckaatlas.job;

import java.util.Iterator;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.ckaatlas.analysis.ChannelSum;
import org.ckaatlas.analysis.ResultRows;
import org.ckaatlas.cka.ChannelMean;
import org.ckaatlas.cka.ChannelRedundancy;
import org.ckaatlas.results.PartFile;
import org.ckaatlas.results.Table;
import scala.Tuple2;

/**
 * Writes the combined channel means of one reduce partition to the staging folder, from the executor,
 * with what each says about redundancy (effective channels, spectrum, groups of near-duplicates).
 */
final class ChannelMeanWriter implements VoidFunction<Iterator<Tuple2<ChannelSum.Key, ChannelMean>>> {
    private static final long serialVersionUID = 2L;
    private final String meanDir;
    private final String groupDir;
    private final double threshold;
    private final HadoopConf hadoop;

    ChannelMeanWriter(String meanDir, String groupDir, double threshold, HadoopConf hadoop) {
        this.meanDir = meanDir;
        this.groupDir = groupDir;
        this.threshold = threshold;
        this.hadoop = hadoop;
    }

    @Override
    public void call(Iterator<Tuple2<ChannelSum.Key, ChannelMean>> means) throws Exception {
        TaskContext task = TaskContext.get();
        String attempt = Long.toString(task.taskAttemptId());
        try (PartFile file = new PartFile(new Path(meanDir), Table.CHANNEL_CKA_MEAN.schema(), task.partitionId(), attempt, hadoop.get());
                PartFile groups = new PartFile(new Path(groupDir), Table.CHANNEL_GROUPS.schema(), task.partitionId(), attempt,
                        hadoop.get())) {
            while (means.hasNext()) {
                Tuple2<ChannelSum.Key, ChannelMean> mean = means.next();
                float[] matrix = mean._2().mean();
                ChannelRedundancy redundancy = ChannelRedundancy.of(matrix, mean._2().channels(), threshold);
                file.write(ResultRows.channelMean(mean._1(), mean._2(), matrix, redundancy));
                ResultRows.channelGroups(mean._1(), redundancy).forEach(groups::write);
            }
            file.commit();
            groups.commit();
        }
    }
}
