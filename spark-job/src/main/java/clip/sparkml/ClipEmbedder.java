package clip.sparkml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A Pipelines stage that adds an L2-normalised {@code array<float>} embedding of an image or text
 * column, with any model folder this project loads, prepared exactly as {@code bin/clip embed} prepares it.
 */
public final class ClipEmbedder extends ClipStage<ClipEmbedder> implements DefaultParamsWritable {
    private final Param<String> outputCol;

    public ClipEmbedder() {
        this(Identifiable$.MODULE$.randomUID("clipEmbedder"));
    }

    public ClipEmbedder(String uid) {
        super(uid);
        outputCol = new Param<>(this, "outputCol", "the embedding column to add");
        setDefault(outputCol, "embedding");
    }

    public static MLReader<ClipEmbedder> read() {
        return new DefaultParamsReader<>();
    }

    public static ClipEmbedder load(String path) {
        return read().load(path);
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    public ClipEmbedder setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    @Override
    protected ClipEmbedder self() {
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        kind(schema);
        return withColumn(schema, DataTypes.createStructField(getOutputCol(), DataTypes.createArrayType(DataTypes.FloatType, false),
                true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        return mapInBatches(dataset, out, kind(dataset.schema()), embedding -> new Object[] {embedding});
    }

    @Override
    public ClipEmbedder copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
