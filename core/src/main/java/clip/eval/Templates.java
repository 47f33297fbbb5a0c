package clip.eval;

import clip.io.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Zero-shot prompt templates ({} where the class name goes) and the name they were asked for by,
 * so every report can say which were used. A file has one per line, # for comments.
 */
public record Templates(String name, List<String> prompts) {
    public static final String CLIP_80 = "clip-80";
    public static final String SIMPLE = "simple";

    /** {@value #CLIP_80}, {@value #SIMPLE} (three short prompts, for small vocabularies), or a file of templates. */
    public static Templates named(String spec) throws IOException {
        return new Templates(spec, switch (spec) {
            case CLIP_80 -> openAiImageNet();
            case SIMPLE -> List.of("a picture of a {}", "a {} in the picture", "a photo of a {}");
            default -> read(Path.of(spec));
        });
    }

    /** e.g. "simple (3 prompts)", for the reports of training and eval. */
    @Override
    public String toString() {
        return name + " (" + prompts.size() + (prompts.size() == 1 ? " prompt)" : " prompts)");
    }

    /** The CLIP paper's 80-prompt ImageNet ensemble. */
    public static List<String> openAiImageNet() {
        try (InputStream in = Templates.class.getResourceAsStream("openai-imagenet-templates.txt")) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "openai-imagenet-templates.txt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no such templates file");
        }
        return parse(Files.readString(file), file.toString());
    }

    static List<String> parse(String text, String name) {
        List<String> templates = text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String t : templates) {
            if (!t.contains("{}")) {
                throw new BadInputException(name + ": template '" + t + "' has no {} for the class name");
            }
        }
        if (templates.isEmpty()) {
            throw new BadInputException(name + ": no templates");
        }
        return templates;
    }
}
