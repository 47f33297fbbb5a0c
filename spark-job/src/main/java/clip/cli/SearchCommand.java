package clip.cli;

import clip.data.image.ImageDecodeException;
import clip.embed.AnnIndex;
import clip.embed.EmbeddingIndex;
import clip.embed.ModelFolder;
import clip.embed.Side;
import clip.eval.EncoderModel;
import clip.io.BadInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@code bin/clip search}: the images nearest a text, or the captions nearest an image, in an index from {@code bin/clip embed}. */
public final class SearchCommand implements Command {
    public static final int DEFAULT_CANDIDATES = 400;

    @Override
    public String name() {
        return "search";
    }

    @Override
    public String summary() {
        return "the images nearest a text, or the captions nearest an image, in an embedding index";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip search --model DIR --index INDEX \"TEXT\" | --image FILE [--top K] [--json]",
                "  --model DIR    the model the index was embedded with (checked against the index's fingerprint)",
                "  --index INDEX  output of bin/clip embed; local path or Hadoop URI",
                "  \"TEXT\"         a text query: searches the index's image embeddings",
                "  --image FILE   an image query (JPEG, PNG, ...): searches the index's caption embeddings",
                "  --top K        how many results (default 5)",
                "  --exact        read every vector even when the index has an approximate index (bin/clip index)",
                "  --candidates N rows the approximate index proposes before the top K are picked by exact score (default "
                        + DEFAULT_CANDIDATES + ")",
                "  --json         one JSON document instead of lines");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        String modelDir = args.required("model");
        String indexDir = args.required("index");
        String image = args.string("image", null);
        int top = args.integer("top", 5);
        boolean json = args.flag("json");
        boolean exact = args.flag("exact");
        int candidates = args.integer("candidates", DEFAULT_CANDIDATES);
        args.rejectUnknown();
        String text = String.join(" ", args.positional()).strip();
        if (image != null && !text.isEmpty()) {
            throw new BadInputException("give a text query or --image FILE, not both");
        }
        if (image == null && text.isEmpty()) {
            throw new BadInputException("missing query: give a text (in quotes) or --image FILE");
        }
        if (top < 1) {
            throw new BadInputException("--top must be at least 1, not " + top);
        }
        if (candidates < 1) {
            throw new BadInputException("--candidates must be at least 1, not " + candidates);
        }
        Side side = image == null ? Side.IMAGES : Side.TEXTS;
        Configuration conf = new Configuration();
        EmbeddingIndex index = EmbeddingIndex.open(indexDir, conf);
        if (!index.has(side)) {
            throw new BadInputException(indexDir + " has no " + side.key() + " embeddings (embedded with --what "
                    + (side == Side.IMAGES ? "text); a text query searches images" : "image); an image query searches captions"));
        }
        ModelFolder folder = ModelFolder.read(modelDir, conf);
        index.checkModel(folder);
        EncoderModel model = folder.load(index.maxTextLength(), "search", conf);
        INDArray query = image == null ? model.embedder(1, "search", null).texts(List.of(text), "query") : imageQuery(model, image);
        List<EmbeddingIndex.Hit> hits;
        String method;
        if (!exact && AnnIndex.exists(index, side)) {
            try (AnnIndex ann = AnnIndex.open(index, side)) {
                hits = ann.nearest(query.castTo(DataType.FLOAT).toFloatVector(), top, candidates);
                method = String.format("approximate: HNSW M=%d, beam width %d, best %d of %d candidates", ann.manifest().m(),
                        ann.manifest().beamWidth(), top, Math.max(top, candidates));
            }
        } else {
            hits = index.nearest(query, side, top);
            method = "exact";
        }
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(
                    toJson(hits, indexDir, text, image, side, method)));
            return 0;
        }
        out.printf("search: nearest to %s among the %d %s of %s (split %s; %s)%n", image == null ? "\"" + text + "\"" : "image " + image,
                index.count(side), side == Side.IMAGES ? "images" : "captions", indexDir, index.split(), method);
        for (EmbeddingIndex.Hit h : hits) {
            String what = side == Side.IMAGES ? h.file() : "caption " + h.captionIndex() + "  " + h.caption();
            out.printf("%3d %7.4f  image %d  %s%n", h.rank(), h.score(), h.imageId(), what);
        }
        return 0;
    }

    private static INDArray imageQuery(EncoderModel model, String file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        }
        int size = model.images().size();
        float[] chw = new float[3 * size * size];
        try {
            model.images().toChw(bytes, chw, 0);
        } catch (ImageDecodeException e) {
            throw new BadInputException(file + ": " + e.getMessage());
        }
        return model.model().encodeImages(Nd4j.create(chw, new long[] {1, 3, size, size}, DataType.FLOAT));
    }

    private static ObjectNode toJson(List<EmbeddingIndex.Hit> hits, String index, String text, String image, Side side,
                                     String method) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        ObjectNode query = root.putObject("query");
        if (image == null) {
            query.put("text", text);
        } else {
            query.put("image", image);
        }
        root.put("index", index).put("searched", side.key()).put("method", method);
        ArrayNode results = root.putArray("results");
        for (EmbeddingIndex.Hit h : hits) {
            ObjectNode r = results.addObject().put("rank", h.rank()).put("score", h.score()).put("image_id", h.imageId());
            if (side == Side.IMAGES) {
                r.put("file", h.file());
            } else {
                r.put("caption_index", h.captionIndex()).put("caption", h.caption());
            }
        }
        return root;
    }
}
