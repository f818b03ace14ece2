package org.ckaatlas.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.TaskFailureListener;
import org.ckaatlas.analysis.AnalysedModel;
import org.ckaatlas.analysis.BatchAnalysis;
import org.ckaatlas.analysis.DecodeAhead;
import org.ckaatlas.analysis.DeviceChoice;
import org.ckaatlas.analysis.RunConfig;
import org.ckaatlas.analysis.TaskOutput;
import org.ckaatlas.analysis.TaskOutputs;
import org.ckaatlas.analysis.TorchThreads;
import org.ckaatlas.analysis.WorkItem;
import org.ckaatlas.model.ModelCache;
import org.ckaatlas.model.NativeCalls;
import org.ckaatlas.model.TappedNetwork;
import org.ckaatlas.results.PartFile;
import org.ckaatlas.results.Table;
import scala.Option;

/**
 * The Spark side of one task: binds the device Spark assigned it, takes the models from the JVM's cache,
 * opens this attempt's part files of the large tables, and streams {@link BatchAnalysis}'s outputs. A
 * failed attempt drops its part files; a finished one commits them.
 */
final class BatchTask implements FlatMapFunction<Iterator<WorkItem>, TaskOutput> {
    private static final long serialVersionUID = 1L;

    private final RunConfig config;
    private final List<AnalysedModel> models;
    private final Set<String> gridImages;
    private final HadoopConf hadoop;
    private final int tasksPerExecutor;
    private final LongAccumulator imagesDone;
    private final String channelDir;
    private final String gridDir;

    /** @param channelDir, gridDir staging folders of channel_cka and feature_grids, or null when not written */
    BatchTask(RunConfig config, List<AnalysedModel> models, Set<String> gridImages, HadoopConf hadoop, int tasksPerExecutor,
            LongAccumulator imagesDone, String channelDir, String gridDir) {
        this.config = config;
        this.models = models;
        this.gridImages = gridImages;
        this.hadoop = hadoop;
        this.tasksPerExecutor = tasksPerExecutor;
        this.imagesDone = imagesDone;
        this.channelDir = channelDir;
        this.gridDir = gridDir;
    }

    @Override
    public Iterator<TaskOutput> call(Iterator<WorkItem> items) {
        TaskContext task = TaskContext.get();
        TorchThreads.configure(tasksPerExecutor);
        DeviceChoice device = DeviceChoice.choose(config.device(), assignedGpu(task));
        List<TappedNetwork> networks = new ArrayList<>();
        for (AnalysedModel model : models) {
            networks.add(NativeCalls.run(() -> ModelCache.get(model.spec(), device.device())));
        }
        List<PartFile> parts = new ArrayList<>();
        Consumer<GenericRecord> channelRows = part(channelDir, Table.CHANNEL_CKA, task, parts);
        Consumer<GenericRecord> gridRows = part(gridDir, Table.FEATURE_GRIDS, task, parts);
        task.addTaskFailureListener((TaskFailureListener) (context, error) -> parts.forEach(PartFile::abort));
        BatchAnalysis analysis = new BatchAnalysis(config, models, networks, device, gridImages, hadoop.get(),
                SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId(), channelRows, gridRows);
        DecodeAhead decoding = new DecodeAhead(analysis, decodeThreads(task));
        task.addTaskCompletionListener((TaskCompletionListener) context -> decoding.close());
        return new TaskOutputs(items, analysis, decoding, imagesDone::add, () -> {
            try {
                for (PartFile part : parts) {
                    part.commit();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** --decode-threads, where the default is the task's cores (spark.task.cpus). */
    private int decodeThreads(TaskContext task) {
        return config.decodeThreads() == RunConfig.DECODE_THREADS_PER_CORE ? Math.max(1, task.cpus()) : config.decodeThreads();
    }

    /** Where this attempt's rows of a table go: its part file; a table the run does not write takes no rows. */
    private Consumer<GenericRecord> part(String dir, Table table, TaskContext task, List<PartFile> parts) {
        if (dir == null) {
            return row -> {
                throw new IllegalStateException(table.dirName() + " is not written in this run");
            };
        }
        PartFile file = new PartFile(new Path(dir), table.schema(), task.partitionId(), Long.toString(task.taskAttemptId()),
                hadoop.get());
        parts.add(file);
        return file::write;
    }

    private static String assignedGpu(TaskContext task) {
        Option<ResourceInformation> gpu = task.resources().get("gpu");
        return gpu.isDefined() && gpu.get().addresses().length > 0 ? gpu.get().addresses()[0] : "none";
    }
}
