package clip.sparkml;

import clip.io.BadInputException;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import scala.collection.Seq;

/**
 * The embedding stages as Spark SQL functions on a session: {@code clip_embed_image(content)} (image
 * file bytes), {@code clip_embed_image_path(path)}, {@code clip_embed_text(text)} and
 * {@code clip_similarity(a, b)} (cosine), so a query can {@code ORDER BY clip_similarity(...)}. A
 * function embeds one row per call, with the model loaded once per executor as for the stages; use
 * {@link ClipEmbedder} for bulk work, which batches.
 */
public final class ClipFunctions {
    private ClipFunctions() {
    }

    /**
     * Registers the functions for the model folder {@code model} (any Hadoop URI the executors read).
     *
     * @param strict fail on a null or unreadable row instead of giving null
     * @return the count of rows given null, also shown in the Spark UI
     */
    public static LongAccumulator register(SparkSession spark, String model, int maxTextLength, boolean strict) {
        LongAccumulator bad = spark.sparkContext().longAccumulator("clip bad rows (SQL functions)");
        SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
        var array = DataTypes.createArrayType(DataTypes.FloatType, false);
        for (InputKind kind : List.of(InputKind.IMAGE_BYTES, InputKind.IMAGE_PATH, InputKind.TEXT)) {
            EmbeddingSpec spec = new EmbeddingSpec(model, maxTextLength, kind, strict, conf, bad);
            String name = switch (kind) {
                case IMAGE_BYTES -> "clip_embed_image";
                case IMAGE_PATH -> "clip_embed_image_path";
                default -> "clip_embed_text";
            };
            UDF1<Object, float[]> embed = cell -> spec.embed(java.util.Collections.singletonList(cell),
                    i -> name + "(" + (kind == InputKind.TEXT || cell == null || cell instanceof byte[] ? "row" : cell) + ")")[0];
            spark.udf().register(name, embed, array);
        }
        spark.udf().register("clip_similarity", (UDF2<Seq<Float>, Seq<Float>, Double>) ClipFunctions::cosine, DataTypes.DoubleType);
        return bad;
    }

    static Double cosine(Seq<Float> a, Seq<Float> b) {
        if (a == null || b == null) {
            return null;
        }
        if (a.length() != b.length()) {
            throw new BadInputException("clip_similarity of vectors of " + a.length() + " and " + b.length() + " dimensions");
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length(); i++) {
            double x = a.apply(i);
            double y = b.apply(i);
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return dot / Math.sqrt(na * nb);
    }
}
