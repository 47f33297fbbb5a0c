package clip.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.layers.CudaCompatibility.Gpu;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CUDA build's GPU rule, decided from nvidia-smi's listing without a GPU. */
class CudaCompatibilityTest {
    private static String refusal(String name, int major, int minor) {
        return CudaCompatibility.refusal(new Gpu(0, name, major, minor));
    }

    @Test
    void gpusWithMachineCodeOfTheirMajorVersionAndNoHigherMinorRun() {
        assertNull(refusal("Tesla K80", 3, 7));
        assertNull(refusal("Tesla M60", 5, 2));
        assertNull(refusal("Jetson Nano", 5, 3)); // sm_52's code
        assertNull(refusal("Tesla P100", 6, 0));
        assertNull(refusal("Tesla V100", 7, 0));
        assertNull(refusal("Jetson AGX Xavier", 7, 2)); // sm_70's code
        assertNull(refusal("Tesla T4", 7, 5));
        assertNull(refusal("NVIDIA A100-SXM4-40GB", 8, 0));
        assertNull(refusal("NVIDIA A10", 8, 6));
        assertNull(refusal("NVIDIA L4", 8, 9)); // sm_86's code
    }

    @Test
    void olderAndNewerGpusAreRefusedInOneLineNamingTheGpuAndWhatRuns() {
        String h100 = refusal("NVIDIA H100 80GB HBM3", 9, 0);
        assertTrue(h100.startsWith("GPU 0 (NVIDIA H100 80GB HBM3) has compute capability 9.0, which the CUDA build"), h100);
        assertTrue(h100.contains("3.7 and 5.0 to 8.9") && h100.contains("sm_86, no PTX"), h100);
        assertEquals(1, h100.lines().count());
        assertTrue(refusal("NVIDIA B200", 10, 0) != null);
        assertTrue(refusal("NVIDIA GeForce RTX 5090", 12, 0) != null);
        assertTrue(refusal("Tesla K40m", 3, 5) != null);
        assertTrue(refusal("GeForce GTX 680", 3, 0) != null);
    }

    @Test
    void nvidiaSmiListingAndCudaVisibleDevices() {
        List<Gpu> gpus = CudaCompatibility.parse("0, NVIDIA A100-SXM4-80GB, 8.0\n1, NVIDIA H100 80GB HBM3, 9.0\n");
        assertEquals(List.of(new Gpu(0, "NVIDIA A100-SXM4-80GB", 8, 0), new Gpu(1, "NVIDIA H100 80GB HBM3", 9, 0)), gpus);
        assertEquals(List.of(gpus.get(0)), CudaCompatibility.visible(gpus, "0"));
        assertEquals(gpus, CudaCompatibility.visible(gpus, "1, 0"));
        assertEquals(gpus, CudaCompatibility.visible(gpus, null));
        assertEquals(gpus, CudaCompatibility.visible(gpus, "GPU-8c5a2b1e"), "UUIDs: every GPU is checked");
        assertThrows(IllegalStateException.class, () -> CudaCompatibility.parse("0, Some GPU, [N/A]"));
    }

    @Test
    void theCpuBuildIsToldFromTheCudaBuildByItsBackendClass() {
        assertTrue(CudaCompatibility.onClasspath("org.nd4j.linalg.cpu.nativecpu.CpuBackend"));
        assertFalse(CudaCompatibility.onClasspath("org.nd4j.linalg.jcublas.JCublasBackend"));
    }
}
