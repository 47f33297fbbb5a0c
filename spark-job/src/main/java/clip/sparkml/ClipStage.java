package clip.sparkml;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * What the embedding and zero-shot stages share: the model folder, the input column and how to read
 * it, rows embedded a batch at a time within each partition, and bad rows counted or, in strict
 * mode, fatal.
 */
public abstract class ClipStage<S extends ClipStage<S>> extends Transformer {
    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> inputKind;
    private final IntParam batchSize;
    private final IntParam maxTextLength;
    private final BooleanParam strict;
    private transient LongAccumulator badRows;

    protected ClipStage(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the model folder (HF CLIP or dual encoder), a local path or Hadoop URI that "
                + "every executor can read");
        inputCol = new Param<>(this, "inputCol", "the column to embed");
        inputKind = new Param<>(this, "inputKind", "auto (binary and image structs are images, strings texts), image, path "
                + "(strings naming image files) or text", ParamValidators.inArray(InputKind.NAMES));
        batchSize = new IntParam(this, "batchSize", "rows per forward pass, within a partition", ParamValidators.gt(0));
        maxTextLength = new IntParam(this, "maxTextLength", "BERT texts are cut at this many tokens (CLIP models use their 77)",
                ParamValidators.gtEq(2));
        strict = new BooleanParam(this, "strict", "fail on a null or unreadable row instead of giving null and counting it");
        setDefault(inputKind, "auto");
        setDefault(batchSize, 32);
        setDefault(maxTextLength, 64);
        setDefault(strict, false);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> inputKind() {
        return inputKind;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam maxTextLength() {
        return maxTextLength;
    }

    public BooleanParam strict() {
        return strict;
    }

    /** This stage as its own type, for the setters' chaining. */
    protected abstract S self();

    public S setModelPath(String value) {
        set(modelPath, value);
        return self();
    }

    public S setInputCol(String value) {
        set(inputCol, value);
        return self();
    }

    public S setInputKind(String value) {
        set(inputKind, value);
        return self();
    }

    public S setBatchSize(int value) {
        set(batchSize, value);
        return self();
    }

    public S setMaxTextLength(int value) {
        set(maxTextLength, value);
        return self();
    }

    public S setStrict(boolean value) {
        set(strict, value);
        return self();
    }

    public String getModelPath() {
        return getOrDefault(modelPath);
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public String getInputKind() {
        return getOrDefault(inputKind);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public int getMaxTextLength() {
        return (Integer) getOrDefault(maxTextLength);
    }

    public boolean getStrict() {
        return (Boolean) getOrDefault(strict);
    }

    /**
     * Rows this stage gave null for (null or unreadable input), summed over its transforms on this
     * driver; an accumulator updated in a transformation, so a recomputed partition counts again.
     * Named, so the Spark UI shows it too.
     */
    public LongAccumulator badRows() {
        return badRows(SparkSession.active());
    }

    private LongAccumulator badRows(SparkSession spark) {
        if (badRows == null) {
            badRows = spark.sparkContext().longAccumulator("clip bad rows (" + uid + ")");
        }
        return badRows;
    }

    protected InputKind kind(StructType schema) {
        return InputKind.of(getInputCol(), schema.apply(getInputCol()).dataType(), getInputKind());
    }

    protected static StructType withColumn(StructType schema, StructField field) {
        if (java.util.Arrays.asList(schema.fieldNames()).contains(field.name())) {
            throw new clip.io.BadInputException("output column " + field.name() + " already exists");
        }
        return schema.add(field);
    }

    /** Values appended to each row of a batch, given the batch's embeddings (null for bad rows). */
    protected interface Appender extends java.io.Serializable {
        Object[] append(float[] embedding);
    }

    /**
     * The input with the appender's columns, rows embedded {@code batchSize} at a time within each
     * partition; the model is loaded on the executors from {@code modelPath}.
     */
    protected Dataset<Row> mapInBatches(Dataset<?> dataset, StructType outSchema, InputKind kind, Appender appender) {
        SerializableConfiguration conf = new SerializableConfiguration(dataset.sparkSession().sparkContext().hadoopConfiguration());
        EmbeddingSpec spec = new EmbeddingSpec(getModelPath(), getMaxTextLength(), kind, getStrict(), conf, badRows(dataset.sparkSession()));
        int column = dataset.schema().fieldIndex(getInputCol());
        String name = getInputCol();
        int batch = getBatchSize();
        MapPartitionsFunction<Row, Row> embed = rows -> new java.util.Iterator<>() {
            private final int partition = TaskContext.getPartitionId();
            private final List<Row> out = new ArrayList<>();
            private long seen;
            private int next;

            @Override
            public boolean hasNext() {
                if (next == out.size()) {
                    fill();
                }
                return next < out.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return out.get(next++);
            }

            private void fill() {
                out.clear();
                next = 0;
                List<Row> in = new ArrayList<>();
                while (in.size() < batch && rows.hasNext()) {
                    in.add(rows.next());
                }
                List<Object> cells = in.stream().map(r -> r.get(column)).toList();
                long first = seen;
                float[][] embeddings = spec.embed(cells, i -> describe(cells.get(i), kind, name, partition, first + i));
                seen += in.size();
                for (int i = 0; i < in.size(); i++) {
                    Object[] extra = appender.append(embeddings[i]);
                    Object[] values = new Object[in.get(i).length() + extra.length];
                    for (int c = 0; c < in.get(i).length(); c++) {
                        values[c] = in.get(i).get(c);
                    }
                    System.arraycopy(extra, 0, values, in.get(i).length(), extra.length);
                    out.add(RowFactory.create(values));
                }
            }
        };
        return dataset.toDF().mapPartitions(embed, Encoders.row(outSchema));
    }

    /** How an error names a row: its path or origin when it has one, else its place in its partition. */
    static String describe(Object cell, InputKind kind, String column, int partition, long row) {
        String place = "row " + row + " of partition " + partition + " (column " + column + ")";
        if (kind == InputKind.IMAGE_PATH && cell != null) {
            return cell + ", " + place;
        }
        if (kind == InputKind.IMAGE_STRUCT && cell instanceof Row r && r.get(r.fieldIndex("origin")) != null) {
            return r.getString(r.fieldIndex("origin")) + ", " + place;
        }
        return place;
    }
}
