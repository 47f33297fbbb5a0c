package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.config.ConfigLoader;
import clip.data.ImagePreprocessor;
import clip.io.BadInputException;
import clip.layers.Module;
import clip.model.BertModel;
import clip.model.ContrastiveModel;
import clip.model.DistilBertModel;
import clip.model.ResNetModel;
import clip.model.ViTModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/clip train's towers, heads, temperature and image normalisation as the configuration names them. */
class ConfiguredTowersTest {
    @TempDir
    Path tmp;

    private static TrainConfig config(String... overrides) {
        return TrainConfig.from(new ConfigLoader().load("tiny", List.of(overrides), Map.of()));
    }

    private ModelFactory.Built build(String... overrides) throws Exception {
        List<String> all = new ArrayList<>(List.of("output.dir=" + tmp.resolve("run")));
        all.addAll(List.of(overrides));
        return ModelFactory.build(config(all.toArray(String[]::new)), tmp.resolve("work"));
    }

    private static String head(ContrastiveModel m) {
        return m.namedParameters().keySet().stream().filter(k -> k.startsWith("visual_projection")).toList().toString();
    }

    @Test
    void theDefaultIsStillViTAndBertUnderLinearHeadsWithALearnedTemperature() throws Exception {
        ModelFactory.Built b = build();
        assertTrue(b.model().vision() instanceof ViTModel);
        assertTrue(b.model().text() instanceof BertModel);
        assertEquals("[visual_projection.weight]", head(b.model()));
        assertTrue(b.model().logitScale().trainable());
        assertArrayEquals(ImagePreprocessor.HALF, b.pre().mean());
    }

    @Test
    void resNetAndDistilBertTowersWithResidualHeadsAndAFixedTemperature() throws Exception {
        ModelFactory.Built b = build("model.vision=resnet", "model.text=distilbert", "model.resnet.block=bottleneck",
                "model.resnet.layers=[1, 2, 1, 1]", "model.resnet.planes=[4, 8, 8, 16]", "model.projection=residual",
                "model.projection-dropout=0.1", "model.learn-logit-scale=false", "model.logit-scale-init=0");
        ResNetModel resnet = (ResNetModel) b.model().vision();
        assertTrue(resnet.config().bottleneck());
        assertArrayEquals(new int[] {1, 2, 1, 1}, resnet.config().layers());
        assertEquals(64, resnet.hiddenSize(), "16 planes x 4 (Bottleneck)");
        assertTrue(((Module) resnet).namedParameters().containsKey("layer2.1.conv3.weight"));
        assertTrue(b.model().text() instanceof DistilBertModel);
        assertEquals("[visual_projection.linear1.weight, visual_projection.linear2.weight, visual_projection.layer_norm.weight,"
                + " visual_projection.layer_norm.bias]", head(b.model()));
        assertFalse(b.model().logitScale().trainable());
        assertEquals(0.0, b.model().logitScale().value().getDouble(0));
        assertArrayEquals(ImagePreprocessor.IMAGENET_MEAN, b.pre().mean(), "a ResNet's family: torchvision's ImageNet mean");
        assertArrayEquals(ImagePreprocessor.IMAGENET_STD, b.pre().std());
        assertEquals(0.1, b.hfConfig().path("projection_dropout").asDouble());
    }

    @Test
    void aStandardArchitectureAndMlpHeadsAndAChosenNormalisation() throws Exception {
        ModelFactory.Built b = build("model.vision=resnet", "model.resnet.architecture=resnet18", "model.projection=mlp",
                "model.image-normalisation=clip");
        ResNetModel resnet = (ResNetModel) b.model().vision();
        assertArrayEquals(new int[] {2, 2, 2, 2}, resnet.config().layers());
        assertEquals(512, resnet.hiddenSize());
        assertEquals("[visual_projection.0.weight, visual_projection.0.bias, visual_projection.2.weight, visual_projection.2.bias]",
                head(b.model()), "Linear-GELU-Linear");
        assertArrayEquals(ImagePreprocessor.CLIP_MEAN, b.pre().mean());
    }

    @Test
    void mistakesAreOneLineNamingTheKey() {
        String unknown = assertThrows(BadInputException.class, () -> config("model.projektion=mlp")).getMessage();
        assertTrue(unknown.contains("did you mean 'clip.model.projection'"), unknown);
        String nested = assertThrows(BadInputException.class, () -> config("model.resnet.plane=[1,1,1,1]")).getMessage();
        assertTrue(nested.contains("did you mean 'clip.model.resnet.planes'"), nested);
        String choice = assertThrows(BadInputException.class, () -> config("model.projection=deep")).getMessage();
        assertTrue(choice.contains("'clip.model.projection' must be one of [linear, mlp, residual]"), choice);
        String tower = assertThrows(BadInputException.class, () -> config("model.text=roberta")).getMessage();
        assertTrue(tower.contains("'clip.model.text' must be one of [bert, distilbert]"), tower);
        String dropout = assertThrows(BadInputException.class, () -> config("model.projection-dropout=0.2")).getMessage();
        assertTrue(dropout.contains("residual heads only"), dropout);
        String folders = assertThrows(BadInputException.class, () -> config("model.init=towers")).getMessage();
        assertTrue(folders.contains("'clip.model.vision-checkpoint' must name a model folder"), folders);
        String shape = assertThrows(BadInputException.class,
                () -> build("model.vision=resnet", "model.resnet.layers=[1, 1, 1]")).getMessage();
        assertTrue(shape.contains("clip.model.resnet") && shape.contains("4 positive numbers"), shape);
        for (String m : List.of(unknown, nested, choice, tower, dropout, folders, shape)) {
            assertFalse(m.contains("\n"), m);
        }
    }

    @Test
    void pretrainedTowerFoldersUnderFreshHeads() throws Exception {
        Path vision = TinyTowerFolders.resnet(tmp.resolve("resnet"), false);
        Path text = TinyTowerFolders.distilbert(tmp.resolve("distilbert"));
        ModelFactory.Built b = build("model.init=towers", "model.vision-checkpoint=" + vision, "model.text-checkpoint=" + text,
                "model.image-size=24");
        assertArrayEquals(TinyTowerFolders.MEAN, b.pre().mean(), "the timm folder's pretrained_cfg mean");
        assertEquals(24, b.pre().size());
        assertEquals(text.resolve("vocab.txt"), b.vocab());
        assertTrue(b.model().text() instanceof DistilBertModel);
        String refused = assertThrows(BadInputException.class, () -> build("model.init=towers", "model.vision-checkpoint=" + text,
                "model.text-checkpoint=" + text)).getMessage();
        assertTrue(refused.contains("'clip.model.vision-checkpoint'") && refused.contains("not a ResNet"), refused);
    }

    @Test
    void aTowerFolderWithoutWeightsIsRefusedInOneLineBeforeAnythingIsWritten() throws Exception {
        Path vision = TinyTowerFolders.resnet(tmp.resolve("resnet"), false);
        Path text = TinyTowerFolders.distilbert(tmp.resolve("distilbert"));
        java.nio.file.Files.delete(text.resolve("model.safetensors"));
        Path run = tmp.resolve("run");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = new clip.cli.Cli().register(new clip.cli.TrainCommand()).run(new String[] {"train", "tiny", "model.init=towers",
                "model.vision-checkpoint=" + vision, "model.text-checkpoint=" + text, "output.dir=" + run},
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()), new java.io.PrintStream(err, true));
        String message = err.toString().strip();
        assertTrue(code != 0 && message.contains("'clip.model.text-checkpoint'") && message.contains("no model.safetensors"), message);
        assertFalse(message.contains("\n"), message);
        assertFalse(java.nio.file.Files.exists(run), "nothing written");
    }

    /** bin/clip export --run of a run recorded before these keys existed builds what that run trained. */
    @Test
    void aRunRecordedBeforeTowersWereConfigurableReadsAsItTrained() throws Exception {
        Path run = java.nio.file.Files.createDirectories(tmp.resolve("old-run"));
        RunRecord.write(new ConfigLoader().load("tiny", List.of(), Map.of()), run);
        Path file = run.resolve("config.conf");
        com.typesafe.config.Config recorded = com.typesafe.config.ConfigFactory.parseFile(file.toFile());
        for (String key : List.of("vision", "text", "resnet", "vision-checkpoint", "text-checkpoint", "projection",
                "projection-dropout", "learn-logit-scale", "image-normalisation", "batch-norm")) {
            recorded = recorded.withoutPath("clip.model." + key);
        }
        java.nio.file.Files.writeString(file, recorded.root().render(com.typesafe.config.ConfigRenderOptions.concise()));
        TrainConfig c = RunRecord.read(run);
        assertEquals(TrainConfig.VisionTower.VIT, c.model().towers().vision());
        assertEquals(TrainConfig.Projection.LINEAR, c.model().headSpec().projection());
        assertEquals(TrainConfig.ImageNormalisation.HALF, c.model().imageNormalisation(), "what older runs trained with");
    }
}
