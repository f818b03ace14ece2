package org.ckaatlas.analysis;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.Serializable;

/**
 * Which device a task runs its models on. Spark hands a task its GPU address when executors are given
 * GPUs ({@code spark.executor.resource.gpu.amount}, {@code spark.task.resource.gpu.amount}); the model
 * cache is keyed by the device, so each executor builds one model per device it is given.
 *
 * @param device the device to use
 * @param assigned the GPU address Spark assigned the task, or "none"
 * @param note why the device differs from what was asked for (auto without usable CUDA), or null
 */
public record DeviceChoice(Device device, String assigned, String note) implements Serializable {

    /** What --device asks for. */
    public enum Wanted { AUTO, CPU, GPU }

    /**
     * @param assigned the GPU address the cluster assigned this task, or "none"
     * @throws IllegalStateException for --device gpu where CUDA is not usable
     */
    public static DeviceChoice choose(Wanted wanted, String assigned) {
        if (wanted == Wanted.CPU) {
            return new DeviceChoice(Device.cpu(), assigned, null);
        }
        int cudaDevices = Engine.getInstance().getGpuCount();
        if (cudaDevices == 0) {
            if (wanted == Wanted.GPU) {
                throw new IllegalStateException("--device gpu: no usable CUDA device in this executor (GPU address assigned: "
                        + assigned + "; libtorch " + Engine.getInstance().getVersion()
                        + " sees none: CPU natives, or no driver); use --device auto to fall back to the CPU");
            }
            return new DeviceChoice(Device.cpu(), assigned, assigned.equals("none") ? null
                    : "GPU " + assigned + " assigned but CUDA is not usable here: ran on the CPU");
        }
        int index = assigned.equals("none") ? 0 : Integer.parseInt(assigned);
        return new DeviceChoice(Device.gpu(index % cudaDevices), assigned, null);
    }
}
