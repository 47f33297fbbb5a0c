package clip.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The recipes shipped in the jar from the project's {@code conf/} folder (under {@code recipes/}),
 * listed from the classpath so that help texts and errors name every one without a hand-kept list.
 */
public final class Recipes {
    static final String FOLDER = "recipes/";

    private Recipes() {
    }

    /** Recipe names (file names without {@code .conf}), sorted. */
    public static List<String> names() {
        URL any = Recipes.class.getClassLoader().getResource(FOLDER + "default.conf");
        if (any == null) {
            throw new IllegalStateException("no " + FOLDER + "default.conf on the classpath: the build did not copy conf/");
        }
        try {
            Stream<String> files;
            if (any.getProtocol().equals("jar")) {
                JarFile jar = ((JarURLConnection) any.openConnection()).getJarFile();
                files = jar.stream().map(e -> e.getName()).filter(n -> n.startsWith(FOLDER))
                        .map(n -> n.substring(FOLDER.length())).filter(n -> !n.contains("/"));
            } else {
                try (Stream<Path> listed = Files.list(Paths.get(any.toURI()).getParent())) {
                    files = listed.map(p -> p.getFileName().toString()).toList().stream();
                }
            }
            return files.filter(n -> n.endsWith(".conf")).map(n -> n.substring(0, n.length() - ".conf".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
