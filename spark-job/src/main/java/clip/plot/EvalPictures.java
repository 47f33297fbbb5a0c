package clip.plot;

import clip.eval.Evaluator;
import clip.validation.EvalSet;

import clip.data.image.ImageDecodeException;
import clip.data.image.ImageDecoder;
import clip.io.BadInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What an evaluation looks like, for a person: for a few images spread over the set, the
 * text-to-image results of one of its captions (query and top-5 images), its image-to-text
 * results (top-5 captions), and its zero-shot class probabilities, all from the embeddings the
 * metrics were computed from, with the right answers marked (the caption's image, the image's
 * own captions, its true class).
 */
public final class EvalPictures {
    private final EvalSet set;
    private final Evaluator.Report report;
    private final double logitScale;
    private final ImageDecoder decoder = new ImageDecoder();

    /** @param logitScale the model's exp(logit_scale), which turns zero-shot similarities into probabilities */
    public EvalPictures(EvalSet set, Evaluator.Report report, double logitScale) {
        this.set = set;
        this.report = report;
        this.logitScale = logitScale;
    }

    /** Writes pictures of {@code count} images into {@code dir}; returns the files. */
    public List<Path> write(Path dir, int count) throws IOException {
        Files.createDirectories(dir);
        List<String> captions = new ArrayList<>();
        for (EvalSet.Item item : set.items()) {
            captions.addAll(item.captions());
        }
        List<Path> written = new ArrayList<>();
        int n = set.items().size();
        long[] ids = set.items().stream().mapToLong(EvalSet.Item::imageId).toArray();
        int[] owner = report.captionOwner();
        for (int k = 0; k < Math.min(count, n); k++) {
            int image = (int) ((long) k * n / Math.min(count, n));
            String name = String.format("%02d-image-%d", k + 1, ids[image]);
            int query = firstCaptionOf(image);
            written.add(new RetrievalGrid(160).write(captions.get(query), row(report.captions(), query, report.images()), ids, image,
                    this::decodeUnchecked, dir.resolve(name + "-text-to-image.png")));
            BufferedImage picture = decode(image);
            boolean[] own = new boolean[owner.length];
            for (int c = 0; c < owner.length; c++) {
                own[c] = owner[c] == image;
            }
            written.add(new CaptionRanking(256, 520).write(ids[image], picture, captions, row(report.images(), image, report.captions()),
                    own, dir.resolve(name + "-image-to-text.png")));
            if (report.classes() != null) {
                written.add(new ZeroShotBars(256, 320).write(ids[image], picture, set.classes(),
                        softmax(row(report.images(), image, report.classes())), set.items().get(image).label(),
                        dir.resolve(name + "-zero-shot.png")));
            }
        }
        return written;
    }

    private int firstCaptionOf(int image) {
        int[] owner = report.captionOwner();
        for (int c = 0; c < owner.length; c++) {
            if (owner[c] == image) {
                return c;
            }
        }
        throw new IllegalStateException("image " + image + " has no caption");
    }

    /** Similarities of row {@code i} of {@code queries} to every row of {@code candidates}. */
    private static double[] row(INDArray queries, int i, INDArray candidates) {
        return candidates.mmul(queries.getRow(i).reshape(queries.size(1), 1)).toDoubleVector();
    }

    private double[] softmax(double[] similarities) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : similarities) {
            max = Math.max(max, s * logitScale);
        }
        double[] p = new double[similarities.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(similarities[i] * logitScale - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private BufferedImage decodeUnchecked(int image) {
        try {
            return decode(image);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private BufferedImage decode(int image) throws IOException {
        EvalSet.Item item = set.items().get(image);
        try {
            return decoder.decode(item.bytes().read()).rgb();
        } catch (ImageDecodeException e) {
            throw new BadInputException("image " + item.imageId() + " (" + item.file() + "): " + e.getMessage());
        }
    }
}
