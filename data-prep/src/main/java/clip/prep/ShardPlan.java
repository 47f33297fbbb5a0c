package clip.prep;

import clip.prep.source.Caption;
import clip.prep.source.ImageEntry;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Which images go into which shard: each split's images, in id order, cut into runs of
 * {@code imagesPerShard}. The same listing and config always give the same plan, which is what
 * makes shards deterministic and a rerun able to skip the finished ones.
 */
public record ShardPlan(String split, int index, List<ImageEntry> images) implements Serializable {
    public String name() {
        return String.format("%s/part-%05d.parquet", split, index);
    }

    /**
     * A hash of everything the plan puts in the shard (ids, files, sizes, captions), so a rerun
     * over changed annotations redoes the shard instead of keeping a stale one.
     */
    public String digest() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
        for (ImageEntry i : images) {
            md.update((i.id() + "\u0000" + i.relativePath() + "\u0000" + i.width() + "x" + i.height()).getBytes(StandardCharsets.UTF_8));
            for (Caption c : i.captions()) {
                md.update(("\u0001" + c.id() + "\u0000" + c.text()).getBytes(StandardCharsets.UTF_8));
            }
            md.update((byte) 2);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public int captions() {
        return images.stream().mapToInt(i -> i.captions().size()).sum();
    }

    /** @param images ordered by split, then id, as {@link clip.prep.source.DatasetListing} gives them */
    public static List<ShardPlan> of(List<ImageEntry> images, int imagesPerShard) {
        List<ShardPlan> plans = new ArrayList<>();
        int start = 0;
        while (start < images.size()) {
            String split = images.get(start).split();
            int end = start;
            while (end < images.size() && end - start < imagesPerShard && images.get(end).split().equals(split)) {
                end++;
            }
            int index = plans.isEmpty() || !plans.get(plans.size() - 1).split().equals(split) ? 0
                    : plans.get(plans.size() - 1).index() + 1;
            plans.add(new ShardPlan(split, index, List.copyOf(images.subList(start, end))));
            start = end;
        }
        return plans;
    }
}
