package clip.train;

import clip.data.ShapeScene;
import clip.eval.Ranks;
import clip.eval.Retrieval;
import clip.model.ContrastiveModel;
import clip.model.StepMemory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Retrieval over every caption of the validation images, and zero-shot classification of the
 * images by their shape from prompt templates (text embeddings averaged per class).
 */
public final class Evaluation {
    static final List<String> TEMPLATES = List.of("a picture of a {}", "a {} in the picture", "a photo of a {}");
    private static final int BATCH = 256;

    private Evaluation() {
    }

    public static ObjectNode evaluate(ContrastiveModel model, ShapeBatches val, List<String> classes) {
        List<ShapeScene> scenes = val.scenes();
        int n = scenes.size();
        List<String> captions = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (String c : scenes.get(i).captions()) {
                captions.add(c);
                owner.add(i);
            }
        }
        INDArray images = embedImages(model, val, n);
        INDArray texts = embedTexts(model, val, captions);
        Retrieval.Result r = Retrieval.evaluate(images, texts, owner.stream().mapToInt(Integer::intValue).toArray());

        List<String> prompts = new ArrayList<>();
        for (String cls : classes) {
            for (String t : TEMPLATES) {
                prompts.add(t.replace("{}", cls));
            }
        }
        INDArray promptEmb = embedTexts(model, val, prompts);
        INDArray classEmb = Nd4j.create(images.dataType(), classes.size(), images.size(1));
        for (int k = 0; k < classes.size(); k++) {
            INDArray mean = promptEmb.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(k * TEMPLATES.size(),
                    (k + 1) * TEMPLATES.size()), org.nd4j.linalg.indexing.NDArrayIndex.all()).mean(0);
            classEmb.getRow(k).assign(mean.div(mean.norm2Number()));
        }
        int[] truth = scenes.stream().mapToInt(s -> classes.indexOf(s.category())).toArray();
        Ranks zeroShot = new Ranks(classRanks(Nd4j.gemm(images, classEmb, false, true), truth));

        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.set("image_to_text", ranks(json, r.imageToText()));
        out.set("text_to_image", ranks(json, r.textToImage()));
        ObjectNode zs = out.putObject("zero_shot");
        zs.put("top1", zeroShot.recallAt(1)).put("top5", zeroShot.recallAt(5)).put("classes", classes.size());
        out.put("images", n).put("captions", captions.size());
        return out;
    }

    private static int[] classRanks(INDArray scores, int[] truth) {
        float[][] s = scores.toFloatMatrix();
        int[] ranks = new int[truth.length];
        for (int i = 0; i < truth.length; i++) {
            ranks[i] = 1;
            for (int k = 0; k < s[i].length; k++) {
                if (k != truth[i] && s[i][k] >= s[i][truth[i]]) {
                    ranks[i]++;
                }
            }
        }
        return ranks;
    }

    private static ObjectNode ranks(ObjectMapper json, Ranks r) {
        return json.createObjectNode().put("R@1", r.recallAt(1)).put("R@5", r.recallAt(5)).put("R@10", r.recallAt(10))
                .put("median_rank", r.medianRank());
    }

    private static INDArray embedImages(ContrastiveModel model, ShapeBatches data, int n) {
        List<INDArray> parts = new ArrayList<>();
        for (int start = 0; start < n; start += BATCH) {
            int[] rows = java.util.stream.IntStream.range(start, Math.min(n, start + BATCH)).toArray();
            try (var ws = StepMemory.open()) {
                INDArray e = model.encodeImages(data.images(rows));
                parts.add(StepMemory.outside(e::detach));
            }
        }
        return Nd4j.vstack(parts.toArray(new INDArray[0]));
    }

    private static INDArray embedTexts(ContrastiveModel model, ShapeBatches data, List<String> texts) {
        List<INDArray> parts = new ArrayList<>();
        for (int start = 0; start < texts.size(); start += BATCH) {
            String[] chunk = texts.subList(start, Math.min(texts.size(), start + BATCH)).toArray(new String[0]);
            try (var ws = StepMemory.open()) {
                INDArray e = model.encodeTexts(data.texts(chunk));
                parts.add(StepMemory.outside(e::detach));
            }
        }
        return Nd4j.vstack(parts.toArray(new INDArray[0]));
    }
}
