package clip.embed;

import clip.prep.ShardSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The Parquet files of an index. Image parts: {@code image_id, file, embedding}; caption parts:
 * {@code image_id, caption_index, caption, embedding}, one row per caption in the shard's order.
 * Embeddings use Parquet's standard LIST layout, which Spark reads as {@code array<float>}.
 */
final class EmbeddingFiles {
    /** Bumped whenever the columns or their meaning change, so old parts are redone, not mixed in. */
    static final int VERSION = 1;

    private static final MessageType IMAGES = MessageTypeParser.parseMessageType("""
            message clip_image_embedding {
              required int64 image_id;
              required binary file (STRING);
              required group embedding (LIST) {
                repeated group list { required float element; }
              }
            }
            """);
    private static final MessageType TEXTS = MessageTypeParser.parseMessageType("""
            message clip_text_embedding {
              required int64 image_id;
              required int32 caption_index;
              required binary caption (STRING);
              required group embedding (LIST) {
                repeated group list { required float element; }
              }
            }
            """);

    private EmbeddingFiles() {
    }

    /** The rows of one file: for image parts {@code texts} are file names and {@code captionIndex} is null. */
    record Rows(long[] imageIds, int[] captionIndex, String[] texts, float[] vectors, int dim) {
        int size() {
            return imageIds.length;
        }
    }

    /**
     * Writes the embeddings of {@code rows}' images, or of all their captions in order.
     *
     * @param vectors row-major, {@code dim} floats per image or caption
     * @return how many rows were written
     */
    static int write(OutputFile file, Configuration conf, Side side, List<ShardSchema.Row> rows, float[] vectors, int dim)
            throws IOException {
        MessageType schema = side == Side.IMAGES ? IMAGES : TEXTS;
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        int written = 0;
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(file)
                .withConf(conf)
                .withType(schema)
                // Embeddings are noise to a compressor or a dictionary; they would only cost time.
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(false)
                .build()) {
            for (ShardSchema.Row row : rows) {
                if (side == Side.IMAGES) {
                    Group g = groups.newGroup().append("image_id", row.imageId()).append("file", row.fileName());
                    writer.write(withEmbedding(g, vectors, written++, dim));
                    continue;
                }
                for (int c = 0; c < row.captions().size(); c++) {
                    Group g = groups.newGroup().append("image_id", row.imageId()).append("caption_index", c)
                            .append("caption", row.captions().get(c));
                    writer.write(withEmbedding(g, vectors, written++, dim));
                }
            }
        }
        return written;
    }

    private static Group withEmbedding(Group g, float[] vectors, int row, int dim) {
        Group list = g.addGroup("embedding");
        for (int j = 0; j < dim; j++) {
            list.addGroup("list").append("element", vectors[row * dim + j]);
        }
        return g;
    }

    /**
     * Reads a file column by column (Parquet's column readers, no record assembly): a row's
     * embedding as a record would be hundreds of objects, which made reading the index, not
     * scoring it, the cost of a search.
     */
    static Rows read(Path file, Configuration conf, Side side) throws IOException {
        List<Long> ids = new ArrayList<>();
        List<Integer> captionIndex = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        FloatList vectors = new FloatList();
        int dim = -1;
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            ColumnDescriptor embedding = schema.getColumnDescription(new String[] {"embedding", "list", "element"});
            for (PageReadStore pages = reader.readNextRowGroup(); pages != null; pages = reader.readNextRowGroup()) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, new GroupRecordConverter(schema).getRootConverter(), schema,
                        createdBy);
                ColumnReader id = store.getColumnReader(schema.getColumnDescription(new String[] {"image_id"}));
                ColumnReader text = store.getColumnReader(schema.getColumnDescription(new String[] {side == Side.IMAGES ? "file" : "caption"}));
                for (long i = 0, n = id.getTotalValueCount(); i < n; i++) {
                    ids.add(id.getLong());
                    id.consume();
                    texts.add(text.getBinary().toStringUsingUTF8());
                    text.consume();
                }
                if (side == Side.TEXTS) {
                    ColumnReader c = store.getColumnReader(schema.getColumnDescription(new String[] {"caption_index"}));
                    for (long i = 0, n = c.getTotalValueCount(); i < n; i++) {
                        captionIndex.add(c.getInteger());
                        c.consume();
                    }
                }
                ColumnReader values = store.getColumnReader(embedding);
                int row = ids.size() - (int) pages.getRowCount() - 1;
                int inRow = -1; // no row of this row group started yet
                for (long i = 0, n = values.getTotalValueCount(); i < n; i++) {
                    if (values.getCurrentRepetitionLevel() == 0) { // a new row's first value
                        if (inRow >= 0) {
                            dim = checkedWidth(file, row, inRow, dim);
                        }
                        row++;
                        inRow = 0;
                    }
                    if (values.getCurrentDefinitionLevel() != embedding.getMaxDefinitionLevel()) {
                        throw new IOException(file + ": row " + row + " has an empty or null embedding");
                    }
                    vectors.add(values.getFloat());
                    inRow++;
                    values.consume();
                }
                if (inRow >= 0) {
                    dim = checkedWidth(file, row, inRow, dim);
                }
                if (row != ids.size() - 1) {
                    throw new IOException(file + ": " + ids.size() + " rows but embeddings for " + (row + 1));
                }
            }
        }
        int[] captions = side == Side.TEXTS ? captionIndex.stream().mapToInt(Integer::intValue).toArray() : null;
        return new Rows(ids.stream().mapToLong(Long::longValue).toArray(), captions, texts.toArray(String[]::new), vectors.toArray(),
                Math.max(dim, 0));
    }

    /** The width of every row so far, once row {@code row} (of {@code count} values) ends; {@code dim} is -1 before the first. */
    private static int checkedWidth(Path file, int row, int count, int dim) throws IOException {
        if (dim >= 0 && count != dim) {
            throw new IOException(file + ": row " + row + " has an embedding of " + count + " values, the first row " + dim);
        }
        return count;
    }

    /** A growable float[]: a part's embeddings without a boxed Float each. */
    private static final class FloatList {
        private float[] values = new float[1 << 16];
        private int size;

        void add(float v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
