package clip.cli;

import static clip.testutil.Close.assertClose;
import static clip.testutil.Close.assertGradClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.Npy;
import clip.io.SafeTensors;
import clip.testutil.Golden;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class ForwardCommandTest {
    @TempDir
    Path tmp;

    private String lastError;

    private int run(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new ForwardCommand(), "grads")
                .run(argv, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        lastError = err.toString(StandardCharsets.UTF_8).trim();
        return code;
    }

    private int forward(Path model, String inputs, Path out, String... extra) {
        String[] base = {"forward", "--model", model.toString(), "--inputs", Golden.path(inputs).toString(), "--out", out.toString()};
        return run(Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    @Test
    void everyGoldenOutputFileIsReproduced() throws Exception {
        for (String model : new String[] {"bert", "vit", "clip", "dual", "distilbert", "resnet", "resnet_bottleneck"}) {
            Path out = tmp.resolve(model);
            assertEquals(0, forward(Golden.path(model), model + "/inputs", out), lastError);
            try (Stream<Path> files = Files.list(Golden.path(model + "/outputs"))) {
                for (Path golden : (Iterable<Path>) files::iterator) {
                    String name = golden.getFileName().toString();
                    if (name.endsWith(".f64.npy")) {
                        continue;
                    }
                    INDArray expected = Npy.read(golden);
                    double atol = name.startsWith("logits") ? 1e-5 * 15 : 1e-5;
                    double rtol = model.startsWith("resnet") ? 1e-4 : 1e-5; // the README's tolerance for the seed towers
                    assertClose(expected, Npy.read(out.resolve(name)), atol, rtol, model + "/" + name);
                }
            }
        }
    }

    @Test
    void gradsFileHoldsEveryParameterByHfName() {
        Path out = tmp.resolve("g");
        assertEquals(0, forward(Golden.path("dual"), "dual/inputs", out, "--grads"), lastError);
        Map<String, INDArray> expected = Golden.safetensors("dual/train/grads.safetensors");
        Map<String, INDArray> actual = SafeTensors.read(out.resolve("grads.safetensors"));
        assertEquals(expected.keySet(), actual.keySet());
        assertGradClose(expected.get("text_projection.weight"), actual.get("text_projection.weight"), 1e-5, "text_projection");
    }

    private Path copyOf(String model, String tag) throws Exception {
        Path dir = tmp.resolve(tag + "-" + model);
        Files.createDirectories(dir);
        Files.copy(Golden.path(model + "/config.json"), dir.resolve("config.json"));
        Files.copy(Golden.path(model + "/model.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }

    @Test
    void badInputsAreOneLineErrorsNamingTheFileAndKey() throws Exception {
        assertEquals(2, forward(tmp.resolve("absent"), "bert/inputs", tmp.resolve("o")));
        assertTrue(lastError.startsWith("error: ") && lastError.contains("absent"), lastError);

        Path truncated = copyOf("vit", "truncated");
        byte[] bytes = Files.readAllBytes(truncated.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, 64));
        assertEquals(2, forward(truncated, "vit/inputs", tmp.resolve("o")));
        assertTrue(lastError.contains("model.safetensors") && lastError.contains("truncated"), lastError);

        Path wrongShape = copyOf("bert", "shape");
        String config = Files.readString(wrongShape.resolve("config.json")).replace("\"intermediate_size\": 128", "\"intermediate_size\": 96");
        Files.writeString(wrongShape.resolve("config.json"), config);
        assertEquals(2, forward(wrongShape, "bert/inputs", tmp.resolve("o")));
        assertTrue(lastError.contains("intermediate.dense.weight") && lastError.contains("[128, 64]"), lastError);

        Path unsupported = copyOf("bert", "type");
        Files.writeString(unsupported.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        assertEquals(2, forward(unsupported, "bert/inputs", tmp.resolve("o")));
        assertTrue(lastError.contains("config.json") && lastError.contains("gpt2"), lastError);

        assertEquals(2, forward(Golden.path("vit"), "bert/inputs", tmp.resolve("o")));
        assertTrue(lastError.contains("pixel_values.npy"), lastError);

        assertEquals(2, run("forward", "--model", "x", "--inputs", "y", "--out", "z", "--bogus", "1"));
        assertTrue(lastError.contains("--bogus"), lastError);
        for (String line : new String[] {lastError}) {
            assertTrue(!line.contains("\n"), "one line: " + line);
        }
    }
}
