package clip.testutil;

import clip.model.TextBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A golden model folder's inputs as model inputs. */
public final class GoldenInputs {
    private GoldenInputs() {
    }

    public static TextBatch text(String model) {
        String dir = model + "/inputs/";
        boolean types = Golden.path(dir + "token_type_ids.npy").toFile().exists();
        return new TextBatch(Golden.npy(dir + "input_ids.npy"), Golden.npy(dir + "attention_mask.npy"),
                types ? Golden.npy(dir + "token_type_ids.npy") : null);
    }

    public static INDArray pixels(String model) {
        return Golden.npy(model + "/inputs/pixel_values.npy");
    }
}
