package clip.cli;

import java.io.PrintStream;

/**
 * One {@code bin/clip <name>} command. Commands parse their own options with {@link Args};
 * user mistakes are thrown as {@link clip.io.BadInputException} and printed as one line.
 */
public interface Command {
    String name();

    /** One line for {@code bin/clip --help}. */
    String summary();

    /** The full text for {@code bin/clip <name> --help}: usage line, then one line per option. */
    String usage();

    /** Runs the command; the return value is the process exit code. */
    int run(Args args, PrintStream out) throws Exception;
}
