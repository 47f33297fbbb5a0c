package clip.sparkml;

import clip.data.ImagePipeline;
import clip.data.image.ImageDecodeException;
import clip.io.BadInputException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * What an executor needs to embed cells of one column: the model folder (its path travels, never its
 * weights), how to read the cells, and what to do with a bad cell (null or unreadable image): give
 * null and count it in {@code badRows}, or, in strict mode, fail naming the row.
 */
record EmbeddingSpec(String model, int maxTextLength, InputKind kind, boolean strict, SerializableConfiguration conf,
                     LongAccumulator badRows) implements Serializable {

    LoadedModel loaded() {
        return LoadedModel.of(model, maxTextLength, conf.value());
    }

    /**
     * One embedding per cell, null for a bad cell.
     *
     * @param where names cell i for errors (its path, its origin, or its row number in the partition)
     */
    float[][] embed(List<Object> cells, IntFunction<String> where) {
        LoadedModel m = loaded();
        float[][] out = new float[cells.size()][];
        List<Integer> good = new ArrayList<>();
        if (kind == InputKind.TEXT) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < cells.size(); i++) {
                if (cells.get(i) == null) {
                    bad(where.apply(i), "is null");
                } else {
                    good.add(i);
                    texts.add((String) cells.get(i));
                }
            }
            fill(out, good, texts.isEmpty() ? new float[0][] : m.embedTexts(texts));
            return out;
        }
        ImagePipeline pipeline = m.images();
        int floats = 3 * pipeline.size() * pipeline.size();
        float[] pixels = new float[cells.size() * floats];
        for (int i = 0; i < cells.size(); i++) {
            if (cells.get(i) == null) {
                bad(where.apply(i), "is null");
                continue;
            }
            try {
                ImageInputs.toChw(kind, cells.get(i), pipeline, conf.value(), pixels, good.size() * floats);
                good.add(i);
            } catch (ImageDecodeException | IOException e) {
                bad(where.apply(i), "cannot be read as an image: " + e.getMessage());
            }
        }
        if (!good.isEmpty()) {
            float[] used = good.size() == cells.size() ? pixels : java.util.Arrays.copyOf(pixels, good.size() * floats);
            fill(out, good, m.embedImages(used, good.size()));
        }
        return out;
    }

    private void bad(String where, String why) {
        if (strict) {
            throw new BadInputException(where + " " + why + " (strict mode; without it the embedding is null and counted)");
        }
        badRows.add(1);
    }

    private static void fill(float[][] out, List<Integer> rows, float[][] embeddings) {
        for (int j = 0; j < rows.size(); j++) {
            out[rows.get(j)] = embeddings[j];
        }
    }
}
