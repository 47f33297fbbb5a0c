package clip.layers;

import clip.io.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Which GPUs the CUDA build ({@code -Pcuda}: nd4j-cuda-11.6 1.0.0-M2.1) can run on, checked before
 * a model is built so that an unsupported GPU stops the run with one line instead of failing inside
 * a kernel. That build carries machine code (cubins) for compute capability 3.7, 5.0, 5.2, 6.0,
 * 6.1, 7.0, 7.5, 8.0 and 8.6 and no PTX (deeplearning4j's build-deploy-linux-cuda-11.6.yml); a
 * cubin for X.y runs only on a GPU of capability X.z with z >= y, so Hopper (9.0) and newer GPUs
 * cannot run it at all. The GPUs are read with {@code nvidia-smi}, which needs no CUDA context (an
 * unsupported GPU can fail ND4J's own start-up); without it nothing is checked and ND4J's error stands.
 */
public final class CudaCompatibility {
    /** The machine code in nd4j-cuda-11.6 1.0.0-M2.1, as compute capability major * 10 + minor. */
    static final List<Integer> CUBINS = List.of(37, 50, 52, 60, 61, 70, 75, 80, 86);
    private static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

    /** One GPU as nvidia-smi lists it. */
    record Gpu(int index, String name, int major, int minor) {
    }

    private CudaCompatibility() {
    }

    /** Stops with one line when the CUDA backend is on the classpath and a GPU it would use has no machine code in it. */
    public static void requireSupportedGpus() {
        if (!onClasspath(CUDA_BACKEND)) {
            return; // the CPU build
        }
        String listing = nvidiaSmi();
        if (listing == null) {
            return;
        }
        for (Gpu gpu : visible(parse(listing), System.getenv("CUDA_VISIBLE_DEVICES"))) {
            String refusal = refusal(gpu);
            if (refusal != null) {
                throw new BadInputException(refusal);
            }
        }
    }

    /** Whether a class is there, without loading it (loading ND4J's backend would start it). */
    static boolean onClasspath(String className) {
        return CudaCompatibility.class.getClassLoader().getResource(className.replace('.', '/') + ".class") != null;
    }

    /** Null when the CUDA build has machine code this GPU runs, else the one line that says why not and what does. */
    static String refusal(Gpu gpu) {
        for (int cubin : CUBINS) {
            if (cubin / 10 == gpu.major() && cubin % 10 <= gpu.minor()) {
                return null;
            }
        }
        return "GPU " + gpu.index() + " (" + gpu.name() + ") has compute capability " + gpu.major() + "." + gpu.minor()
                + ", which the CUDA build (nd4j-cuda-11.6 1.0.0-M2.1) cannot run: it has machine code for compute capability"
                + " 3.7 and 5.0 to 8.9 (" + CUBINS.stream().map(c -> "sm_" + c).collect(Collectors.joining(", "))
                + ", no PTX), so no Hopper (9.0) or newer; use such a GPU, or the CPU build (package without -Pcuda)";
    }

    /** Lines of {@code nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader}: "0, NVIDIA H100 80GB HBM3, 9.0". */
    static List<Gpu> parse(String listing) {
        List<Gpu> gpus = new ArrayList<>();
        for (String line : listing.strip().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int first = line.indexOf(',');
            int last = line.lastIndexOf(',');
            String[] cap = line.substring(last + 1).strip().split("\\.");
            try {
                gpus.add(new Gpu(Integer.parseInt(line.substring(0, first).strip()), line.substring(first + 1, last).strip(),
                        Integer.parseInt(cap[0]), Integer.parseInt(cap[1])));
            } catch (RuntimeException e) {
                throw new IllegalStateException("nvidia-smi printed an unexpected line: " + line, e);
            }
        }
        return gpus;
    }

    /** The GPUs CUDA_VISIBLE_DEVICES leaves to the process, when it lists indexes; all of them otherwise. */
    static List<Gpu> visible(List<Gpu> gpus, String cudaVisibleDevices) {
        if (cudaVisibleDevices == null || !cudaVisibleDevices.strip().matches("\\d+(\\s*,\\s*\\d+)*")) {
            return gpus;
        }
        Set<Integer> listed = new HashSet<>();
        for (String i : cudaVisibleDevices.split(",")) {
            listed.add(Integer.parseInt(i.strip()));
        }
        return gpus.stream().filter(g -> listed.contains(g.index())).toList();
    }

    /** nvidia-smi's listing, or null when it cannot be run or does not know compute_cap (drivers before 510). */
    private static String nvidiaSmi() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=index,name,compute_cap", "--format=csv,noheader")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
