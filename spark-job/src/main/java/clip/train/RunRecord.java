package clip.train;

import clip.io.BadInputException;
import clip.io.WriteFailure;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A run's own record of its configuration ({@code config.conf} in its output folder), from which
 * the run can be rebuilt later. The record makes the folder relocatable: paths inside the run
 * folder (the folder itself, its checkpoints and feature cache) are written relative to it and
 * read back against wherever the folder is now, so a moved, renamed or copied run exports its
 * own checkpoints; paths outside it (the inputs) are written absolute.
 */
public final class RunRecord {
    /** The file, in the run folder. */
    public static final String FILE = "config.conf";
    private static final String OUTPUT = "clip.output.dir";
    /** Keys naming places inside the run folder unless configured elsewhere. */
    private static final List<String> INSIDE = List.of("clip.train.checkpoint-dir", "clip.train.feature-cache");
    /** Keys naming the run's inputs. */
    private static final List<String> INPUTS = List.of("clip.model.checkpoint", "clip.model.vocab", "clip.data.shards",
            "clip.eval.templates", "clip.model.vision-checkpoint", "clip.model.text-checkpoint");
    private static final Pattern URI_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:.*");

    private RunRecord() {
    }

    /** Writes the resolved {@code clip} block into the run folder. */
    public static void write(Config resolved, Path outputDir) throws IOException {
        Files.createDirectories(outputDir);
        Path base = outputDir.toAbsolutePath().normalize();
        Config c = resolved.withOnlyPath("clip").withValue(OUTPUT, ConfigValueFactory.fromAnyRef("."));
        for (String key : INSIDE) {
            String v = c.getString(key);
            if (!v.isBlank() && !URI_SCHEME.matcher(v).matches()) {
                Path p = Paths.get(v).toAbsolutePath().normalize();
                c = c.withValue(key, ConfigValueFactory.fromAnyRef(p.startsWith(base) ? base.relativize(p).toString() : p.toString()));
            }
        }
        for (String key : INPUTS) {
            String v = c.getString(key);
            if (!v.isBlank() && !URI_SCHEME.matcher(v).matches()) {
                c = c.withValue(key, ConfigValueFactory.fromAnyRef(Paths.get(v).toAbsolutePath().normalize().toString()));
            }
        }
        String text = c.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setComments(false).setJson(false));
        // Through a temporary file: a record cut short by a kill or a full disk must not replace a whole one.
        Path tmp = outputDir.resolve(FILE + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw WriteFailure.naming(tmp, e);
        }
        Files.move(tmp, outputDir.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The configuration of the run now in {@code run}: its own folder as the output folder, and
     * the paths inside it against it. A record written before paths were relative is read the
     * same way: a path under the output folder it names is taken to be under {@code run}.
     */
    public static TrainConfig read(Path run) {
        Path file = run.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no such file (is " + run + " a training run's output folder?)");
        }
        Config c = ConfigFactory.parseFile(file.toFile());
        Path base = run.toAbsolutePath().normalize();
        Path recorded = Paths.get(c.getString(OUTPUT));
        c = c.withValue(OUTPUT, ConfigValueFactory.fromAnyRef(base.toString()));
        for (String key : INSIDE) {
            String v = c.getString(key);
            if (!v.isBlank() && !URI_SCHEME.matcher(v).matches()) {
                Path p = Paths.get(v);
                if (p.isAbsolute() && recorded.isAbsolute() && p.normalize().startsWith(recorded.normalize())) {
                    p = recorded.normalize().relativize(p.normalize());
                }
                c = c.withValue(key, ConfigValueFactory.fromAnyRef(base.resolve(p).normalize().toString()));
            }
        }
        if (!c.hasPath("clip.model.image-normalisation")) {
            // recorded before towers and heads came from the configuration: that run normalised images by 0.5
            c = c.withValue("clip.model.image-normalisation", ConfigValueFactory.fromAnyRef("half"));
        }
        // keys added since the run was recorded take their defaults, which build what older versions built
        return TrainConfig.from(c.withFallback(ConfigFactory.parseResources(RunRecord.class.getClassLoader(), "reference.conf"))
                .resolve());
    }
}
