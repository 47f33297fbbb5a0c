package clip.prep.synth;

import clip.data.ShapeScene;
import clip.data.image.JpegEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Renders generated scenes to JPEG files of varied sizes and aspect ratios (landscape, portrait,
 * square), as a real photo collection has, so that resizing and cropping are exercised.
 */
final class SceneImages {
    private static final double[] ASPECTS = {4.0 / 3.0, 3.0 / 4.0, 1.0, 16.0 / 9.0};

    private final int longSide;
    private final JpegEncoder encoder = new JpegEncoder(0.92f);

    SceneImages(int longSide) {
        this.longSide = longSide;
    }

    /** Picks a size from {@code r}, writes the scene there as JPEG, and returns {width, height}. */
    int[] write(ShapeScene scene, Path file, SplittableRandom r) throws IOException {
        double aspect = ASPECTS[r.nextInt(ASPECTS.length)];
        int w = aspect >= 1 ? longSide : (int) Math.round(longSide * aspect);
        int h = aspect >= 1 ? (int) Math.round(longSide / aspect) : longSide;
        Files.createDirectories(file.getParent());
        Files.write(file, encoder.encode(scene.render(w, h)));
        return new int[] {w, h};
    }
}
