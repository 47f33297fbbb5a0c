package clip.prep;

import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The columns of a training shard: one row per image, with the re-encoded JPEG and every caption.
 * Lists use Parquet's standard three-level LIST layout, which Spark reads as {@code array<...>}.
 */
public final class ShardSchema {
    /** Bumped whenever the columns or their meaning change, so old shards are redone, not mixed in. */
    public static final int VERSION = 1;

    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message clip_image {
              required int64 image_id;
              required binary file_name (STRING);
              required binary split (STRING);
              required int32 width;
              required int32 height;
              required binary jpeg;
              required group captions (LIST) {
                repeated group list { required binary element (STRING); }
              }
              required group caption_ids (LIST) {
                repeated group list { required int64 element; }
              }
            }
            """);

    /** The captions column alone, for reading a shard without its images. */
    static final MessageType CAPTIONS_ONLY = MessageTypeParser.parseMessageType("""
            message clip_image {
              required group captions (LIST) {
                repeated group list { required binary element (STRING); }
              }
            }
            """);

    private final SimpleGroupFactory factory = new SimpleGroupFactory(SCHEMA);

    /** One row of a shard, as written and as read back. */
    public record Row(long imageId, String fileName, String split, int width, int height, byte[] jpeg,
                      List<String> captions, List<Long> captionIds) {
    }

    Group toGroup(Row row) {
        Group g = factory.newGroup()
                .append("image_id", row.imageId())
                .append("file_name", row.fileName())
                .append("split", row.split())
                .append("width", row.width())
                .append("height", row.height())
                .append("jpeg", org.apache.parquet.io.api.Binary.fromConstantByteArray(row.jpeg()));
        Group captions = g.addGroup("captions");
        for (String c : row.captions()) {
            captions.addGroup("list").append("element", c);
        }
        Group ids = g.addGroup("caption_ids");
        for (long id : row.captionIds()) {
            ids.addGroup("list").append("element", id);
        }
        return g;
    }

    public static Row fromGroup(Group g) {
        Group captions = g.getGroup("captions", 0);
        int n = captions.getFieldRepetitionCount("list");
        String[] texts = new String[n];
        for (int i = 0; i < n; i++) {
            texts[i] = captions.getGroup("list", i).getString("element", 0);
        }
        Group ids = g.getGroup("caption_ids", 0);
        Long[] idValues = new Long[ids.getFieldRepetitionCount("list")];
        for (int i = 0; i < idValues.length; i++) {
            idValues[i] = ids.getGroup("list", i).getLong("element", 0);
        }
        return new Row(g.getLong("image_id", 0), g.getString("file_name", 0), g.getString("split", 0),
                g.getInteger("width", 0), g.getInteger("height", 0), g.getBinary("jpeg", 0).getBytes(),
                List.of(texts), List.of(idValues));
    }
}
