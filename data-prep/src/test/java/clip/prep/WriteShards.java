package clip.prep;

import clip.prep.source.CocoCaptions;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code WriteShards ROOT OUT HASHES}: writes the train shards of a COCO-layout dataset with
 * {@link ShardWriter}, in a JVM of its own, for {@link ShardBytesTest}. Before writing it takes
 * HASHES identity hash codes: they decide the iteration order of hash sets of enum constants, and
 * taking a different number shifts them, as thread scheduling does from one prep run to the next.
 */
final class WriteShards {
    private WriteShards() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            System.identityHashCode(new Object());
        }
        PrepConfig config = new PrepConfig("coco", args[0], args[1], List.of("train"), 32, 90, 4, true);
        Configuration conf = new Configuration();
        ShardWriter writer = new ShardWriter(config, conf);
        for (ShardPlan plan : ShardPlan.of(CocoCaptions.read(config.root(), config.splits(), conf).images(),
                config.imagesPerShard())) {
            writer.write(plan);
        }
    }
}
