package clip.tokenize;

import clip.io.BadInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Token strings to ids and back, read from the files tokenizers ship with. */
final class Vocabulary {
    private final Map<String, Integer> ids;
    private final List<String> tokens;

    Vocabulary(List<String> tokens) {
        this.tokens = tokens;
        this.ids = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            ids.putIfAbsent(tokens.get(i), i);
        }
    }

    Integer id(String token) {
        return ids.get(token);
    }

    int require(String token, String source) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new BadInputException(source + ": vocabulary has no '" + token + "' token");
        }
        return id;
    }

    int size() {
        return tokens.size();
    }

    static List<String> readLines(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
            return lines;
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such vocabulary file");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read vocabulary: " + e.getMessage());
        }
    }
}
