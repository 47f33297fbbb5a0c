package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.TrainCommand;
import clip.io.SafeTensors;
import clip.layers.Init;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.ResNetModel;
import clip.model.StateDict;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "CLIP from scratch" recipe's shape at a tiny size, through bin/clip train: a dual-encoder
 * folder with a ResNet and a DistilBERT, residual heads and a fixed temperature, trained with
 * frozen towers. The heads learn; towers, running statistics and temperature stay as they were.
 */
class MixedTowerTrainTest {
    @TempDir
    Path tmp;

    private Path recipeFolder(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path vocab = ModelFactory.writeSyntheticVocab(dir);
        int vocabSize = Files.readAllLines(vocab).size();
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode().put("model_type", "vision-text-dual-encoder").put("projection_dim", 16)
                .put("projection", "residual").put("logit_scale_init_value", 2.6592).put("learn_logit_scale", false);
        ObjectNode vision = config.putObject("vision_config").put("architecture", "resnet").put("block", "basic")
                .put("image_size", 32);
        vision.putArray("layers").add(1).add(1).add(1).add(1);
        vision.putArray("planes").add(8).add(8).add(16).add(16);
        config.putObject("text_config").put("model_type", "distilbert").put("vocab_size", vocabSize).put("dim", 16)
                .put("n_layers", 1).put("n_heads", 2).put("hidden_dim", 32).put("max_position_embeddings", 64);
        ContrastiveModel model = HfModels.build(config, "recipe", new Init(3, DataType.FLOAT, 0.02), null).asContrastive();
        // running statistics of a trained tower, not the initial zeros and ones a fresh replica has;
        // drawn from a seeded generator, as the loss curve this test checks depends on them
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(11);
        model.namedBuffers().forEach((name, b) -> {
            if (name.contains("running_")) {
                b.assign(Nd4j.rand(rng, b.shape()).castTo(DataType.FLOAT).muli(0.5).addi(name.endsWith("var") ? 0.75 : -0.25));
            }
        });
        json.writeValue(dir.resolve("config.json").toFile(), config);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false}"); // a cased checkpoint
        SafeTensors.write(dir.resolve("model.safetensors"), StateDict.export(model, ""));
        return dir;
    }

    private static void train(Path start, Path run, String mode, String... extra) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> argv = new java.util.ArrayList<>(List.of("train", "tiny", "model.init=hf", "model.checkpoint=" + start,
                "train.mode=" + mode, "train.steps=30", "output.dir=" + run));
        argv.addAll(List.of(extra));
        int code = new Cli().register(new TrainCommand()).run(argv.toArray(String[]::new),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    }

    private static double[] losses(Path run) throws Exception {
        ObjectMapper json = new ObjectMapper();
        return Files.readAllLines(run.resolve("train-log.jsonl")).stream().mapToDouble(l -> {
            try {
                return json.readTree(l).path("loss").asDouble();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toArray();
    }

    @Test
    void frozenResNetAndDistilBertUnderResidualHeads() throws Exception {
        Path start = recipeFolder(tmp.resolve("start"));
        Path run = tmp.resolve("run");
        train(start, run, "frozen-towers");
        double[] frozen = losses(run);
        assertTrue(frozen[29] < frozen[0] - 0.2, "loss fell from " + frozen[0] + " to " + frozen[29]);
        // the heads alone on the towers' cached features take the same steps
        Path projection = tmp.resolve("projection");
        train(start, projection, "projection-only", "train.feature-cache=" + tmp.resolve("features"));
        double[] curve = losses(projection);
        for (int i = 0; i < 30; i++) {
            assertEquals(frozen[i], curve[i], 1e-4, "projection-only step " + (i + 1));
        }

        ObjectMapper json = new ObjectMapper();
        ContrastiveModel trained = HfModels.load(run.resolve("model"), DataType.FLOAT).asContrastive();
        assertTrue(trained.vision() instanceof ResNetModel);
        assertEquals(false, json.readTree(run.resolve("model/tokenizer_config.json").toFile()).path("do_lower_case").asBoolean(true),
                "the exported tokenizer stays cased");
        Map<String, INDArray> before = SafeTensors.read(start.resolve("model.safetensors"));
        Map<String, INDArray> after = StateDict.export(trained, "");
        for (Map.Entry<String, INDArray> e : before.entrySet()) {
            String k = e.getKey();
            boolean head = k.startsWith("visual_projection") || k.startsWith("text_projection");
            assertEquals(!head, e.getValue().equals(after.get(k)), k + (head ? " trains" : " stays as it was"));
        }
    }

    /**
     * Every mode over the ResNet + DistilBERT folder writes checkpoints that bin/clip export turns
     * into exactly the folder training wrote: in full, the ResNet's running statistics (train-mode
     * BatchNorm) come from the checkpoint; in the other modes the towers are the starting folder's.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"full", "frozen-towers", "projection-only"})
    void everyModeExportsFromItsCheckpointWhatTrainingWrote(String mode) throws Exception {
        Path start = recipeFolder(tmp.resolve("start"));
        Path run = tmp.resolve("run");
        train(start, run, mode, "train.steps=4", "train.checkpoint-every=2", "train.feature-cache=" + tmp.resolve("features"));
        Path exported = tmp.resolve("exported");
        int code = new Cli().register(new clip.cli.ExportCommand()).run(new String[] {"export", "--run", run.toString(), "--out",
                exported.toString()}, new PrintStream(new ByteArrayOutputStream()), System.err);
        assertEquals(0, code);
        Map<String, INDArray> trained = SafeTensors.read(run.resolve("model/model.safetensors"));
        Map<String, INDArray> fromCheckpoint = SafeTensors.read(exported.resolve("model.safetensors"));
        assertEquals(trained.keySet(), fromCheckpoint.keySet());
        trained.forEach((k, v) -> assertEquals(v, fromCheckpoint.get(k), k));
        Map<String, INDArray> before = SafeTensors.read(start.resolve("model.safetensors"));
        String stat = "vision_model.layer1.0.bn1.running_var";
        assertEquals(mode.equals("full"), !before.get(stat).equals(trained.get(stat)), stat + " moves only in full");
    }
}
