package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.GenerateCommand;
import clip.cli.PrepCommand;
import clip.data.ImagePreprocessor;
import clip.io.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each worker reads its own share of a split: disjoint, together the whole split, and only the
 * shards it needs. The shards are prepared once and only read; a test that damages shards does so
 * to its own copy.
 */
class ShardImagesTest {
    @TempDir
    static Path tmp;
    static Path shards;

    @TempDir
    Path own;

    @BeforeAll
    static void prep() {
        Path coco = tmp.resolve("coco");
        shards = tmp.resolve("shards");
        assertEquals(0, new Cli().register(new GenerateCommand()).run(new String[] {"generate", "--out", coco.toString(),
                "--train", "50", "--val", "4", "--long-side", "16"}, System.out, System.err));
        assertEquals(0, new Cli().register(new PrepCommand(), "strict").run(new String[] {"prep", "--format", "coco", "--root",
                coco.toString(), "--out", shards.toString(), "--image-size", "8", "--images-per-shard", "10",
                "--master", "local[1]"}, System.out, System.err));
    }

    private static ShardImages share(int rank, int workers, int local) throws Exception {
        return share(shards, rank, workers, local);
    }

    private static ShardImages share(Path shards, int rank, int workers, int local) throws Exception {
        return ShardImages.read(shards.toString(), "train", new Configuration(), rank, workers, local, ShardImages.pipeline(new ImagePreprocessor(8, ImagePreprocessor.HALF, ImagePreprocessor.HALF)), 1,
                false, System.out);
    }

    @Test
    void workersHoldDisjointSharesThatTogetherAreTheSplit() throws Exception {
        for (int workers : List.of(1, 3, 4)) {
            Set<Long> seen = new HashSet<>();
            int total = 0;
            for (int rank = 0; rank < workers; rank++) {
                ShardImages mine = share(rank, workers, 2);
                assertEquals(50, mine.splitSize());
                assertTrue(Math.abs(mine.size() - 50.0 / workers) < 1, workers + " workers: " + mine.size());
                for (int row = 0; row < mine.size(); row++) {
                    seen.add(mine.imageId(row));
                }
                total += mine.size();
            }
            assertEquals(50, total);
            assertEquals(50, seen.size(), workers + " workers: every image once");
        }
    }

    @Test
    void aWorkerDrawsDistinctImagesFromItsShareOnly() throws Exception {
        ShardImages mine = share(1, 4, 6);
        BatchSampler.Sample s = mine.draw(3, 24, 1, 4);
        assertEquals(6, s.rows().length);
        assertEquals(6, java.util.Arrays.stream(s.rows()).distinct().count());
        assertTrue(java.util.Arrays.stream(s.rows()).allMatch(r -> r >= 0 && r < mine.size()));
        assertEquals(List.of(6L, 3L, 8L, 8L), List.of(mine.images(s.rows()).shape()[0], mine.images(s.rows()).shape()[1],
                mine.trainingImages(s.rows(), 3).shape()[2], mine.trainingImages(s.rows(), 3).shape()[3]));
    }

    /** A batch decodes in two halves on two threads; each image's pixels are those it has decoded alone. */
    @Test
    void aBatchDecodedOnTwoThreadsHasEachImagesOwnPixels() throws Exception {
        ShardImages mine = share(0, 1, 6);
        BatchSampler.Sample s = mine.draw(5, 12, 0, 1);
        INDArray batch = mine.trainingImages(s.rows(), 5);
        for (int i = 0; i < s.rows().length; i++) {
            INDArray alone = mine.trainingImages(new int[] {s.rows()[i]}, 5);
            assertTrue(java.util.Arrays.equals(alone.data().asFloat(), batch.slice(i).dup().data().asFloat()), "image " + i);
        }
    }

    private Path copyOfShards() throws Exception {
        Path copy = own.resolve("shards");
        try (var files = Files.walk(shards)) {
            for (Path p : files.toList()) {
                Files.copy(p, copy.resolve(shards.relativize(p).toString()));
            }
        }
        return copy;
    }

    /** Flips one byte in the middle of a training shard and drops Hadoop's .crc side file, as a copy tool would. */
    private static Path damageSecondShard(Path copy) throws Exception {
        Path shard;
        try (var files = Files.list(copy.resolve("train"))) {
            shard = files.filter(p -> p.toString().endsWith(".parquet")).sorted().skip(1).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(shard, bytes);
        Files.deleteIfExists(shard.resolveSibling("." + shard.getFileName() + ".crc"));
        return shard;
    }

    @Test
    void aDamagedShardStopsTheRunNamingItWhenOpened() throws Exception {
        Path copy = copyOfShards();
        Path damaged = damageSecondShard(copy);
        BadInputException e = assertThrows(BadInputException.class, () -> share(copy, 0, 1, 2));
        assertTrue(e.getMessage().contains(damaged.getFileName().toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
        assertEquals(10, share(copy, 0, 5, 2).size(), "a share outside the damaged shard is untouched");
    }

    @Test
    void withSkipADamagedShardKeepsItsImagesThatDecodeAndCountsTheRest() throws Exception {
        Path copy = copyOfShards();
        Path damaged = damageSecondShard(copy);
        byte[] bytes = Files.readAllBytes(damaged);
        Files.write(damaged, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated: no footer, no row readable
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        ShardImages mine = ShardImages.read(copy.toString(), "train", new Configuration(), 0, 1, 2, ShardImages.pipeline(new ImagePreprocessor(8, ImagePreprocessor.HALF, ImagePreprocessor.HALF)), 1,
                true, new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        String line = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(line.contains(damaged.getFileName().toString()) && line.contains("skipped"), line);
        assertTrue(line.contains("kept the 0 of its 10 images") && line.contains("skipped 10"), line);
        assertEquals(40, mine.size(), "the other shards' images");
        assertEquals(50, mine.splitSize());
        int[] all = java.util.stream.IntStream.range(0, mine.size()).toArray();
        assertEquals(mine.size(), mine.images(all).size(0), "every kept image decodes");
    }

    @Test
    void aWorkerOpensOnlyTheShardsOfItsShare() throws Exception {
        Path copy = copyOfShards();
        ShardImages before = share(copy, 0, 5, 2); // rows 0..9: the first shard
        List<Path> others = new ArrayList<>();
        try (var files = Files.list(copy.resolve("train"))) {
            files.filter(p -> p.toString().endsWith(".parquet")).sorted().skip(1).forEach(others::add);
        }
        assertEquals(4, others.size());
        for (Path p : others) {
            Files.write(p, new byte[] {1, 2, 3});
        }
        ShardImages after = share(copy, 0, 5, 2);
        assertEquals(before.size(), after.size());
        assertThrows(Exception.class, () -> share(copy, 1, 5, 2), "a worker whose share is in a damaged shard does see the damage");
    }

    @Test
    void aShareSmallerThanAWorkersPairsPerStepIsRefusedByName() {
        BadInputException e = assertThrows(BadInputException.class, () -> share(0, 10, 8));
        assertTrue(e.getMessage().contains("split 'train' has 50 images, 5 for each of 10 workers, fewer than the 8 pairs"),
                e.getMessage());
    }
}
