package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What {@code bin/clip} says about itself and about a mistyped command line. */
class CliTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.cli().run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aMistypedOptionIsNamedBeforeTheRequiredOptionItHides() {
        Run r = run("eval", "--modle", "x");
        assertEquals(2, r.code());
        assertEquals("error: unknown option --modle (did you mean --model?)\n", r.err());
        Run far = run("prep", "--colour", "red", "--root", "x");
        assertEquals("error: unknown option --colour (--help lists the options)\n", far.err());
    }

    /** A failure that is not the user's prints one line naming the cause; the stack trace goes to a file it names. */
    @Test
    void anUnexpectedFailureIsOneLineAndItsStackTraceGoesToAFile() throws Exception {
        Command broken = new Command() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public String summary() {
                return "fails";
            }

            @Override
            public String usage() {
                return "usage: bin/clip broken";
            }

            @Override
            public int run(Args args, PrintStream out) {
                throw new IllegalStateException("worker 1 failed", new java.io.IOException("No space left on device"));
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(broken).run(new String[] {"broken"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        String line = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code);
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("error: broken failed: worker 1 failed (stack trace in "), line);
        Path trace = Paths.get(line.substring(line.indexOf("stack trace in ") + 15, line.lastIndexOf(')')));
        assertTrue(Files.readString(trace).contains("No space left on device"), "the trace keeps the cause");
        Files.delete(trace);
    }

    @Test
    void theOptionsAHelpTextShowsIncludeThoseWrittenAsAPair() {
        // bench-images shows "--width/--height", generate "--train/--val/--test": each one is accepted.
        assertTrue(Args.optionsIn(new BenchImagesCommand().usage()).containsAll(List.of("width", "height", "no-pil")));
        assertTrue(Args.optionsIn(new GenerateCommand().usage()).containsAll(List.of("out", "train", "val", "test")));
        assertEquals("error: option --out needs a value\n", run("generate", "--out").err());
    }

    @Test
    void generateRefusesFewerCaptionsThanImagesBeforeWritingAnything() throws Exception {
        Path out = Files.createTempDirectory("generate").resolve("coco");
        assertTrue(Args.optionsIn(new GenerateCommand().usage()).containsAll(List.of("train-captions", "val-captions")));
        assertEquals("error: --train-captions/--val-captions must be at least one per image\n",
                run("generate", "--out", out.toString(), "--train", "3", "--train-captions", "2").err());
        assertEquals("error: --train-captions/--val-captions are for --layout coco\n",
                run("generate", "--out", out.toString(), "--layout", "flickr30k", "--val-captions", "20").err());
        assertFalse(Files.exists(out));
        Files.delete(out.getParent());
    }

    @Test
    void helpListsEveryCommandWithItsSummaryInOneColumn() {
        Run r = run("--help");
        List<String> rows = r.out().lines().filter(l -> l.startsWith("  ")).toList();
        assertEquals(Main.cli().help().lines().filter(l -> l.startsWith("  ")).count(), rows.size());
        assertTrue(rows.stream().anyMatch(l -> l.startsWith("  bench-retrieval ")), r.out());
        int column = -1;
        for (String row : rows) {
            int summary = row.indexOf(' ', 2);
            while (row.charAt(summary) == ' ') {
                summary++;
            }
            if (column < 0) {
                column = summary;
            }
            assertEquals(column, summary, "misaligned: " + row);
        }
    }

    @Test
    void trainHelpNamesEveryRecipeInConf() throws Exception {
        String usage = run("train", "--help").out();
        try (Stream<Path> conf = Files.list(Paths.get("").toAbsolutePath().getParent().resolve("conf"))) {
            List<String> recipes = conf.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList();
            assertTrue(recipes.contains("coco-vit-b16-bert-base"), recipes.toString());
            assertTrue(usage.contains("(" + String.join(", ", recipes) + ")"), usage);
        }
    }
}
