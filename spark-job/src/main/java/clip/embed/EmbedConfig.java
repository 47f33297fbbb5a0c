package clip.embed;

import clip.io.BadInputException;
import java.io.IOException;
import java.io.Serializable;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * What to embed and where.
 *
 * @param model         an HF CLIP or dual-encoder folder (local path or Hadoop URI every executor can read)
 * @param data          a data-prep output (manifest.json and shards)
 * @param out           the index folder
 * @param split         the split of the data to embed
 * @param sides         which embeddings to compute
 * @param batch         images or captions per forward pass (does not change what a part holds)
 * @param rowsPerPart   images per part, the unit of work of one Spark task
 * @param maxTextLength BERT captions are cut at this many tokens
 */
public record EmbedConfig(String model, String data, String out, String split, Set<Side> sides, int batch, int rowsPerPart,
                          int maxTextLength) implements Serializable {
    public EmbedConfig {
        if (batch < 1) {
            throw new BadInputException("--batch must be at least 1, not " + batch);
        }
        if (rowsPerPart < 1) {
            throw new BadInputException("--rows-per-part must be at least 1, not " + rowsPerPart);
        }
        if (maxTextLength < 2) {
            throw new BadInputException("--max-text-length must be at least 2 ([CLS] and [SEP]), not " + maxTextLength);
        }
        sides = EnumSet.copyOf(sides);
    }

    /** The same config with the data and index folders fully qualified, so executors in other working folders find them. */
    public EmbedConfig qualified(Configuration conf) throws IOException {
        return new EmbedConfig(model, qualify(data, conf), qualify(out, conf), split, sides, batch, rowsPerPart, maxTextLength);
    }

    private static String qualify(String location, Configuration conf) throws IOException {
        Path p = new Path(location);
        return p.getFileSystem(conf).makeQualified(p).toString();
    }
}
