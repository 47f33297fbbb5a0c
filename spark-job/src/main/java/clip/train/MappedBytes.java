package clip.train;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Byte arrays written once and read many times, kept in a scratch file mapped into memory instead
 * of on the Java heap. A training worker's share of a split's JPEGs grows with the dataset (~30 KB
 * an image at 256 px: ~1.8 GB for each of two workers on COCO), and the executor's heap would have
 * to be sized for all of it; mapped file pages are the page cache's to keep or drop. The file is
 * deleted as soon as it is mapped (the mapping keeps its pages), so it is not left behind, not
 * even by a killed JVM.
 */
final class MappedBytes {
    /** A mapping spans at most 2 GB; an item never straddles two. */
    static final long REGION_BYTES = Integer.MAX_VALUE;

    private final MappedByteBuffer[] regions;
    private final int[] region;
    private final int[] offset;
    private final int[] length;

    private MappedBytes(MappedByteBuffer[] regions, int[] region, int[] offset, int[] length) {
        this.regions = regions;
        this.region = region;
        this.offset = offset;
        this.length = length;
    }

    /** A writer to a new scratch file in {@code dir}, with mappings of at most {@code regionBytes}. */
    static Writer writer(Path dir, long regionBytes) throws IOException {
        return new Writer(Files.createTempFile(dir, "clip-share-", ".bytes"), regionBytes);
    }

    int size() {
        return length.length;
    }

    /** A copy of item {@code i}; safe from several threads (absolute reads never move a buffer's position). */
    byte[] get(int i) {
        byte[] out = new byte[length[i]];
        regions[region[i]].get(offset[i], out);
        return out;
    }

    /** Appends items to the scratch file; {@link #finish} maps it, {@link #close} without it deletes it. */
    static final class Writer implements Closeable {
        private final Path file;
        private final long regionBytes;
        private final OutputStream out;
        private final List<Long> regionStarts = new ArrayList<>(List.of(0L));
        private int[] region = new int[1024];
        private int[] offset = new int[1024];
        private int[] length = new int[1024];
        private int count;
        private long end;
        private boolean finished;

        private Writer(Path file, long regionBytes) throws IOException {
            this.file = file;
            this.regionBytes = regionBytes;
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        }

        void add(byte[] bytes) throws IOException {
            long regionStart = regionStarts.get(regionStarts.size() - 1);
            if (end > regionStart && end - regionStart + bytes.length > regionBytes) {
                regionStarts.add(end);
                regionStart = end;
            }
            if (count == length.length) {
                region = Arrays.copyOf(region, count * 2);
                offset = Arrays.copyOf(offset, count * 2);
                length = Arrays.copyOf(length, count * 2);
            }
            region[count] = regionStarts.size() - 1;
            offset[count] = (int) (end - regionStart);
            length[count] = bytes.length;
            try {
                out.write(bytes);
            } catch (IOException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
            count++;
            end += bytes.length;
        }

        MappedBytes finish() throws IOException {
            out.close();
            MappedByteBuffer[] regions = new MappedByteBuffer[regionStarts.size()];
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                for (int r = 0; r < regions.length; r++) {
                    long start = regionStarts.get(r);
                    long stop = r + 1 < regions.length ? regionStarts.get(r + 1) : end;
                    regions[r] = channel.map(FileChannel.MapMode.READ_ONLY, start, stop - start);
                }
            }
            Files.delete(file);
            finished = true;
            return new MappedBytes(regions, Arrays.copyOf(region, count), Arrays.copyOf(offset, count), Arrays.copyOf(length, count));
        }

        @Override
        public void close() throws IOException {
            if (!finished) {
                try {
                    out.close();
                } finally {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}
