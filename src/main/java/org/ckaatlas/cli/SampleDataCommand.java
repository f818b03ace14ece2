package org.ckaatlas.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ckaatlas.data.SampleData;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cka-atlas sample-data}: a deterministic synthetic ImageNet-style folder. */
@Command(name = "sample-data", mixinStandardHelpOptions = true,
        description = "Writes a deterministic ImageNet-style folder of synthetic, structured JPEGs "
                + "(OUT/<class>/<image>.JPEG; each class one kind of structure).")
final class SampleDataCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "folder to write")
    Path out;

    @Option(names = "--classes", defaultValue = "8", description = "number of classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--per-class", defaultValue = "12", description = "images per class (default: ${DEFAULT-VALUE})")
    int perClass;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (classes < 1 || perClass < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--classes and --per-class must be at least 1");
        }
        int written = SampleData.write(out, classes, perClass, seed);
        spec.commandLine().getOut().printf("wrote %d images in %d classes to %s%n", written, classes, out);
        return CkaAtlas.EXIT_OK;
    }
}
