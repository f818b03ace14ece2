package org.ckaatlas.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.ckaatlas.model.LayerInfo;
import org.ckaatlas.model.ModelCheck;
import org.ckaatlas.model.ModelDescription;
import org.ckaatlas.model.ModelSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cka-atlas layers}: the layers a model offers, as --layers names them. */
@Command(name = "layers", mixinStandardHelpOptions = true,
        description = "Prints a model's analysable layers: index, name, tap and output shape (C x h x w).")
final class LayersCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true,
            description = "vgg11, vgg11:seed=N, torchscript:PATH or djl:PATH")
    ModelSpec model;

    @Option(names = "--taps", defaultValue = "pre-relu", description = "built-in models: pre-relu or post-relu (default: ${DEFAULT-VALUE})")
    String taps;

    @Override
    public Integer call() {
        ModelSpec resolved;
        List<LayerInfo> layers;
        try {
            resolved = model.isBuiltIn() ? model.withPostRelu(Taps.parse(taps)) : model;
            if (!resolved.isBuiltIn()) {
                ModelCheck.check(resolved);
            }
            layers = ModelDescription.of(resolved).layers();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-5s %-24s %-10s %s%n", "index", "name", "tap", "C x h x w");
        for (int i = 0; i < layers.size(); i++) {
            LayerInfo l = layers.get(i);
            out.printf("%-5d %-24s %-10s %d x %d x %d%n", i, l.name(), l.tap(), l.channels(), l.height(), l.width());
        }
        out.flush();
        return CkaAtlas.EXIT_OK;
    }
}
