package org.ckaatlas.job;

import java.util.Iterator;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.ckaatlas.analysis.ChannelSum;
import org.ckaatlas.analysis.ResultRows;
import org.ckaatlas.cka.ChannelMean;
import org.ckaatlas.results.PartFile;
import org.ckaatlas.results.Table;
import scala.Tuple2;

/** Writes the combined channel means of one reduce partition to the staging folder, from the executor. */
final class ChannelMeanWriter implements VoidFunction<Iterator<Tuple2<ChannelSum.Key, ChannelMean>>> {
    private static final long serialVersionUID = 1L;
    private final String dir;
    private final HadoopConf hadoop;

    ChannelMeanWriter(String dir, HadoopConf hadoop) {
        this.dir = dir;
        this.hadoop = hadoop;
    }

    @Override
    public void call(Iterator<Tuple2<ChannelSum.Key, ChannelMean>> means) throws Exception {
        TaskContext task = TaskContext.get();
        try (PartFile file = new PartFile(new Path(dir), Table.CHANNEL_CKA_MEAN.schema(), task.partitionId(),
                Long.toString(task.taskAttemptId()), hadoop.get())) {
            while (means.hasNext()) {
                Tuple2<ChannelSum.Key, ChannelMean> mean = means.next();
                file.write(ResultRows.channelMean(mean._1(), mean._2()));
            }
            file.commit();
        }
    }
}
