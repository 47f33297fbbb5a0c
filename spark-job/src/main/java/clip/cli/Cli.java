package clip.cli;

import clip.io.BadInputException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dispatches {@code bin/clip <command> [options]} to a {@link Command}. User errors print as
 * {@code error: <one line>} with exit code 2; any other failure prints one line too, with exit
 * code 1, and its stack trace goes to a file the line names; {@code --help} works at both levels.
 */
public final class Cli {
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final Map<String, java.util.Set<String>> flags = new LinkedHashMap<>();

    public Cli register(Command c, String... flagNames) {
        commands.put(c.name(), c);
        flags.put(c.name(), java.util.Set.of(flagNames));
        return this;
    }

    public int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.print(help());
            return argv.length == 0 ? 2 : 0;
        }
        Command c = commands.get(argv[0]);
        if (c == null) {
            err.println("error: unknown command '" + argv[0] + "' (bin/clip --help lists them)");
            return 2;
        }
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        try {
            Args args = new Args(rest, flags.get(c.name()), c.usage());
            if (args.flag("help")) {
                out.println(c.usage());
                return 0;
            }
            return c.run(args, out);
        } catch (BadInputException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("error: " + c.name() + " failed: " + oneLine(e) + traceFile(c.name(), e));
            return 1;
        }
    }

    /** The first line of the outermost message there is (wrappers without one defer to their cause). */
    static String oneLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage().lines().findFirst().orElse("").strip();
            }
        }
        return e.getClass().getSimpleName();
    }

    /** Writes the stack trace to a file in the temporary folder; returns where, for the error line. */
    private static String traceFile(String command, Throwable e) {
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("clip-" + command + "-", ".log");
            try (PrintStream out = new PrintStream(java.nio.file.Files.newOutputStream(file), true,
                    java.nio.charset.StandardCharsets.UTF_8)) {
                e.printStackTrace(out);
            }
            return " (stack trace in " + file + ")";
        } catch (java.io.IOException | RuntimeException unwritable) {
            return "";
        }
    }

    /**
     * The body of a {@code spark-submit --class} entry point that runs one command: exits
     * non-zero on failure (spark-submit then reports the application as failed), and returns
     * normally on success so Spark can shut down cleanly.
     */
    public static void runAsMain(Command command, String[] args, String... flagNames) {
        String[] argv = new String[args.length + 1];
        argv[0] = command.name();
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = new Cli().register(command, flagNames).run(argv, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    public String help() {
        StringBuilder sb = new StringBuilder("usage: bin/clip <command> [options]   (bin/clip <command> --help for its options)\n\ncommands:\n");
        int width = commands.keySet().stream().mapToInt(String::length).max().orElse(0);
        commands.values().forEach(c -> sb.append(String.format("  %-" + width + "s  %s%n", c.name(), c.summary())));
        return sb.toString();
    }
}
