package clip.sparkml;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Zero-shot classification as a Pipelines stage: each class's embedding is the renormalised mean of
 * its prompts' (templates with {} for the class name, as eval's zero-shot), and each image gets the
 * nearest class and its probability, the softmax of exp(logit_scale) x cosine over the classes
 * (CLIP's logits_per_image). Bad rows get nulls, as in {@link ClipEmbedder}.
 */
public final class ClipZeroShot extends ClipStage<ClipZeroShot> implements DefaultParamsWritable {
    private final StringArrayParam classNames;
    private final StringArrayParam templates;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;

    public ClipZeroShot() {
        this(Identifiable$.MODULE$.randomUID("clipZeroShot"));
    }

    public ClipZeroShot(String uid) {
        super(uid);
        classNames = new StringArrayParam(this, "classNames", "the classes to choose from");
        templates = new StringArrayParam(this, "templates", "prompt templates, {} where the class name goes");
        predictionCol = new Param<>(this, "predictionCol", "the predicted class's name");
        probabilityCol = new Param<>(this, "probabilityCol", "the predicted class's probability");
        setDefault(templates, new String[] {"a photo of a {}."});
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
    }

    public static MLReader<ClipZeroShot> read() {
        return new DefaultParamsReader<>();
    }

    public static ClipZeroShot load(String path) {
        return read().load(path);
    }

    public StringArrayParam classNames() {
        return classNames;
    }

    public StringArrayParam templates() {
        return templates;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public ClipZeroShot setClassNames(String... value) {
        set(classNames, value);
        return this;
    }

    public ClipZeroShot setTemplates(String... value) {
        set(templates, value);
        return this;
    }

    public ClipZeroShot setPredictionCol(String value) {
        set(predictionCol, value);
        return this;
    }

    public ClipZeroShot setProbabilityCol(String value) {
        set(probabilityCol, value);
        return this;
    }

    @Override
    protected ClipZeroShot self() {
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!kind(schema).isImage()) {
            throw new clip.io.BadInputException("zero-shot classifies images: column " + getInputCol() + " holds texts");
        }
        if (!isDefined(classNames) || getOrDefault(classNames).length < 2) {
            throw new clip.io.BadInputException("zero-shot needs classNames, at least two");
        }
        for (String t : getOrDefault(templates)) {
            if (!t.contains("{}")) {
                throw new clip.io.BadInputException("template '" + t + "' has no {} for the class name");
            }
        }
        StructType out = withColumn(schema, DataTypes.createStructField(getOrDefault(predictionCol), DataTypes.StringType, true));
        return withColumn(out, DataTypes.createStructField(getOrDefault(probabilityCol), DataTypes.DoubleType, true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        List<String> classes = Arrays.asList(getOrDefault(classNames));
        List<String> prompts = Arrays.asList(getOrDefault(templates));
        String model = getModelPath();
        int textLength = getMaxTextLength();
        org.apache.spark.util.SerializableConfiguration conf = new org.apache.spark.util.SerializableConfiguration(
                dataset.sparkSession().sparkContext().hadoopConfiguration());
        return mapInBatches(dataset, out, kind(dataset.schema()), embedding -> {
            if (embedding == null) {
                return new Object[] {null, null};
            }
            LoadedModel m = LoadedModel.of(model, textLength, conf.value());
            return classify(embedding, m.classEmbeddings(classes, prompts), m.logitScale(), classes);
        });
    }

    /** {name, probability} of the class nearest the image, softmax over scaled cosines. */
    static Object[] classify(float[] image, float[][] classEmbeddings, double scale, List<String> classes) {
        double[] logits = new double[classEmbeddings.length];
        int best = 0;
        for (int k = 0; k < logits.length; k++) {
            double dot = 0;
            for (int d = 0; d < image.length; d++) {
                dot += image[d] * classEmbeddings[k][d];
            }
            logits[k] = scale * dot;
            if (logits[k] > logits[best]) {
                best = k;
            }
        }
        double sum = 0;
        for (double l : logits) {
            sum += Math.exp(l - logits[best]);
        }
        return new Object[] {classes.get(best), 1 / sum};
    }

    @Override
    public ClipZeroShot copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
