package clip.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * A deterministic dataset of {@link ShapeScene}s: the same seed gives the same scenes, and the
 * training and validation splits are drawn from separate streams.
 */
public final class SyntheticShapes {
    private SyntheticShapes() {
    }

    public static List<ShapeScene> scenes(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ShapeScene> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(new ShapeScene(pick(ShapeScene.SHAPES, r), pick(ShapeScene.COLOURS, r), pick(ShapeScene.SIZES, r),
                    pick(ShapeScene.PLACES, r)));
        }
        return out;
    }

    /** Every word the captions use, for a WordPiece vocabulary that needs no download. */
    public static List<String> words() {
        TreeSet<String> words = new TreeSet<>();
        ShapeScene probe = new ShapeScene("circle", "red", "small", "top left");
        for (String c : probe.captions()) {
            words.addAll(List.of(c.split(" ")));
        }
        for (List<String> values : List.of(ShapeScene.SHAPES, ShapeScene.COLOURS, ShapeScene.SIZES, ShapeScene.PLACES)) {
            values.forEach(v -> words.addAll(List.of(v.split(" "))));
        }
        words.addAll(List.of("a", "photo", "of", "the", "an", "picture"));
        return new ArrayList<>(words);
    }

    public static List<String> categories() {
        return ShapeScene.SHAPES;
    }

    private static String pick(List<String> values, SplittableRandom r) {
        return values.get(r.nextInt(values.size()));
    }
}
