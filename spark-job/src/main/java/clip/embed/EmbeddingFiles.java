package clip.embed;

import clip.prep.ShardSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
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

    static Rows read(Path file, Configuration conf, Side side) throws IOException {
        List<Group> groups = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) {
                groups.add(g);
            }
        }
        int n = groups.size();
        int dim = n == 0 ? 0 : groups.get(0).getGroup("embedding", 0).getFieldRepetitionCount("list");
        long[] ids = new long[n];
        int[] captionIndex = side == Side.TEXTS ? new int[n] : null;
        String[] texts = new String[n];
        float[] vectors = new float[n * dim];
        for (int i = 0; i < n; i++) {
            Group g = groups.get(i);
            ids[i] = g.getLong("image_id", 0);
            if (side == Side.TEXTS) {
                captionIndex[i] = g.getInteger("caption_index", 0);
                texts[i] = g.getString("caption", 0);
            } else {
                texts[i] = g.getString("file", 0);
            }
            Group list = g.getGroup("embedding", 0);
            if (list.getFieldRepetitionCount("list") != dim) {
                throw new IOException(file + ": row " + i + " has an embedding of " + list.getFieldRepetitionCount("list")
                        + " values, the first row " + dim);
            }
            for (int j = 0; j < dim; j++) {
                vectors[i * dim + j] = list.getGroup("list", j).getFloat("element", 0);
            }
        }
        return new Rows(ids, captionIndex, texts, vectors, dim);
    }
}
