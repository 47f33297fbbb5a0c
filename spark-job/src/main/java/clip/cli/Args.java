package clip.cli;

import clip.config.Levenshtein;
import clip.io.BadInputException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Command-line options: {@code --name value}, {@code --name=value}, boolean {@code --flag}, and
 * positional arguments. An option the command's {@code --help} does not show is named at once,
 * before any other complaint (a mistyped {@code --modle} must not surface as a missing
 * {@code --model}); every option a command reads is also recorded, so {@link #rejectUnknown()}
 * catches one that its help shows but it never reads.
 */
public final class Args {
    private static final Pattern OPTION = Pattern.compile("--([a-z][a-z0-9-]*)");

    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final Set<String> flags;
    private final Set<String> consumed = new HashSet<>();

    /**
     * @param flags option names (without dashes) that take no value
     * @param usage the command's help text: the options it shows are the ones it accepts
     */
    public Args(List<String> argv, Set<String> flags, String usage) {
        this.flags = flags;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--")) {
                positional.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            if (a.startsWith("--") && a.length() > 2) {
                String name = a.substring(2);
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    options.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (flags.contains(name) || name.equals("help")) {
                    options.put(name, "true");
                } else if (i + 1 < argv.size()) {
                    options.put(name, argv.get(++i));
                } else {
                    throw new BadInputException("option --" + name + " needs a value");
                }
            } else {
                positional.add(a);
            }
        }
        Set<String> known = optionsIn(usage);
        for (String name : options.keySet()) {
            if (!known.contains(name) && !name.equals("help")) {
                throw new BadInputException("unknown option --" + name + closest(name, known));
            }
        }
    }

    /** The option names (without dashes) a help text shows. */
    static Set<String> optionsIn(String usage) {
        Set<String> names = new TreeSet<>();
        Matcher m = OPTION.matcher(usage);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static String closest(String name, Set<String> known) {
        String best = Levenshtein.closest(name, known, 2);
        return best == null ? " (--help lists the options)" : " (did you mean --" + best + "?)";
    }

    public boolean has(String name) {
        consumed.add(name);
        return options.containsKey(name);
    }

    public boolean flag(String name) {
        if (!flags.contains(name) && !name.equals("help")) {
            throw new IllegalArgumentException("--" + name + " is not declared as a flag");
        }
        consumed.add(name);
        return options.containsKey(name);
    }

    public String string(String name, String defaultValue) {
        consumed.add(name);
        return options.getOrDefault(name, defaultValue);
    }

    public String required(String name) {
        consumed.add(name);
        String v = options.get(name);
        if (v == null) {
            throw new BadInputException("missing required option --" + name);
        }
        return v;
    }

    public Path path(String name) {
        return Paths.get(required(name));
    }

    public int integer(String name, int defaultValue) {
        String v = string(name, null);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new BadInputException("option --" + name + " expects an integer, got '" + v + "'");
        }
    }

    public List<String> positional() {
        return positional;
    }

    /** Fails on any option the command never asked about (call after reading all options). */
    public void rejectUnknown() {
        for (String name : options.keySet()) {
            if (!consumed.contains(name)) {
                throw new BadInputException("unknown option --" + name);
            }
        }
    }
}
