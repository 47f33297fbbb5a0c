package clip.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final Config REFERENCE = ConfigFactory.parseString(
            "clip { train { batch-per-worker = 32, lr = 1e-4, betas = [0.9, 0.98], mode = full }\n"
                    + " spark { free-form = true, master = \"local[2]\" } }");

    @TempDir
    Path tmp;

    private final ConfigLoader loader = new ConfigLoader(REFERENCE);

    @Test
    void overridesWinOverRecipeWhichWinsOverReference() throws Exception {
        Path recipe = tmp.resolve("r.conf");
        Files.writeString(recipe, "clip.train { batch-per-worker = 8, mode = frozen-towers }");
        Config c = loader.load(recipe.toString(), List.of("train.batch-per-worker=4", "clip.train.betas=[0.8, 0.9]"), Map.of());
        assertEquals(4, c.getInt("clip.train.batch-per-worker"));
        assertEquals("frozen-towers", c.getString("clip.train.mode"));
        assertEquals(List.of(0.8, 0.9), c.getDoubleList("clip.train.betas"));
        assertEquals(1e-4, c.getDouble("clip.train.lr"));
    }

    @Test
    void theLaterOfTwoOverridesOfAKeyWins() {
        Config c = loader.load(null, List.of("train.lr=1", "train.lr=2"), Map.of());
        assertEquals(2.0, c.getDouble("clip.train.lr"));
    }

    @Test
    void environmentOverridesUseTypesafeNaming() {
        Config c = loader.load(null, List.of(), Map.of("CONFIG_FORCE_clip_train_batch__per__worker", "16"));
        assertEquals(16, c.getInt("clip.train.batch-per-worker"));
    }

    @Test
    void unknownKeyIsNamedWithASuggestion() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> loader.load(null, List.of("train.bach-per-worker=4"), Map.of()));
        assertTrue(e.getMessage().contains("'clip.train.bach-per-worker'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'clip.train.batch-per-worker'"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void wrongTypeIsNamed() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> loader.load(null, List.of("train.batch-per-worker=lots"), Map.of()));
        assertTrue(e.getMessage().contains("clip.train.batch-per-worker"), e.getMessage());
    }

    @Test
    void freeFormBlocksAcceptTheirOwnKeys() {
        Config c = loader.load(null, List.of("spark.conf.spark.executor.memory=4g"), Map.of());
        assertEquals("4g", c.getString("clip.spark.conf.spark.executor.memory"));
    }

    @Test
    void missingRecipeAndMalformedFileAreOneLineErrors() throws Exception {
        BadInputException missing = assertThrows(BadInputException.class, () -> loader.load("nope", List.of(), Map.of()));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
        Path bad = tmp.resolve("bad.conf");
        Files.writeString(bad, "clip.train { batch-per-worker = \n");
        BadInputException malformed = assertThrows(BadInputException.class, () -> loader.load(bad.toString(), List.of(), Map.of()));
        assertTrue(malformed.getMessage().contains("bad.conf"), malformed.getMessage());
        assertTrue(!malformed.getMessage().contains("\n"));
    }

    @Test
    void malformedOverrideIsRejected() {
        assertThrows(BadInputException.class, () -> loader.load(null, List.of("no-equals-sign"), Map.of()));
    }
}
