package clip.cli;

import clip.bench.ImageBench;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code bin/clip bench-images}: data-prep's per-image work on one core, against PIL on the same files in the same run. */
public final class BenchImagesCommand implements Command {
    @Override
    public String name() {
        return "bench-images";
    }

    @Override
    public String summary() {
        return "time JPEG decode + resize + re-encode on one core, next to PIL on the same files";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip bench-images [--images N] [--width W] [--height H] [--size S] [--quality Q] [--no-pil] [--python EXE]",
                "  --images N       photo-like JPEGs generated for the run (default 200)",
                "  --width/--height their size (default 640x480, COCO's most common)",
                "  --size S         shorter side after resizing (default 256, data-prep's default)",
                "  --quality Q      JPEG quality of inputs and outputs (default 90)",
                "  --python EXE     the Python with PIL (default /usr/bin/python3, Debian's python3-pil)",
                "  --no-pil         skip the PIL comparison",
                "prints one JSON line: images/s for decode, decode+resize, decode+resize+encode, Java and PIL");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        int images = args.integer("images", 200);
        int width = args.integer("width", 640);
        int height = args.integer("height", 480);
        int size = args.integer("size", 256);
        int quality = args.integer("quality", 90);
        String python = args.string("python", "/usr/bin/python3");
        boolean noPil = args.flag("no-pil");
        args.rejectUnknown();
        ImageBench bench = new ImageBench(size, quality);
        Path dir = Files.createTempDirectory("clip-bench-images");
        try {
            bench.writeImages(dir, images, width, height, 1);
            ObjectMapper json = new ObjectMapper();
            ObjectNode line = json.createObjectNode().put("images", images).put("width", width).put("height", height)
                    .put("size", size).put("quality", quality);
            if (!noPil) {
                line.set("pil", json.readTree(runPil(python, dir, size, quality)));
            }
            ImageBench.Result java = bench.run(dir);
            line.putObject("java").put("decode", java.decode()).put("decode_resize", java.decodeResize())
                    .put("decode_resize_encode", java.decodeResizeEncode());
            if (!noPil) {
                line.put("java_over_pil_decode_resize", java.decodeResize() / line.at("/pil/decode_resize").asDouble());
            }
            out.println(json.writeValueAsString(line));
        } finally {
            LocalFiles.deleteTree(dir);
        }
        return 0;
    }

    private static String runPil(String python, Path dir, int size, int quality) throws IOException, InterruptedException {
        Path script = Path.of(System.getenv().getOrDefault("CLIP_HOME", ".")).resolve("bench/pil_decode_resize.py");
        if (!Files.isRegularFile(script)) {
            throw new BadInputException(script + ": PIL benchmark script not found (run from the checkout via bin/clip, or --no-pil)");
        }
        Process p = new ProcessBuilder(List.of(python, script.toString(), dir.toString(), Integer.toString(size),
                Integer.toString(quality))).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new BadInputException(python + " " + script + " failed (needs Debian's python3-pil): "
                    + output.lines().reduce((a, b) -> b).orElse(""));
        }
        return output.lines().reduce((a, b) -> b).orElse("");
    }
}
