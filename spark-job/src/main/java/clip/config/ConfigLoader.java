package clip.config;

import clip.io.BadInputException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * Builds the job configuration, strongest first: {@code key=value} arguments, {@code -Dclip.*}
 * system properties, {@code CONFIG_FORCE_clip_*} environment variables (Typesafe's convention:
 * {@code _} for '.', {@code __} for '-'), the recipe file, then {@code reference.conf}.
 *
 * <p>Every key the user supplies must exist in {@code reference.conf} with a compatible type;
 * anything else fails here, before any Spark job starts, with a one-line message naming the key
 * and where it came from.
 */
public final class ConfigLoader {
    public static final String ROOT = "clip";

    private final Config reference;

    public ConfigLoader() {
        this(ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf",
                ConfigParseOptions.defaults().setAllowMissing(false)));
    }

    ConfigLoader(Config reference) {
        this.reference = reference.resolve();
    }

    /**
     * @param recipe a HOCON file, a recipe name from {@code conf/} (e.g. {@code tiny}), or null for the defaults
     * @param overrides {@code key=value} pairs; keys may omit the leading {@code clip.}
     */
    public Config load(String recipe, List<String> overrides, Map<String, String> env) {
        Config user = ConfigFactory.empty();
        for (String kv : overrides) {
            user = parseOverride(kv).withFallback(user); // the later of two overrides of a key wins
        }
        Config sys = ConfigFactory.systemProperties();
        if (sys.hasPath(ROOT)) {
            user = user.withFallback(sys.withOnlyPath(ROOT));
        }
        user = user.withFallback(envOverrides(env));
        if (recipe != null) {
            user = user.withFallback(parseRecipe(recipe));
        }
        checkKnownKeys(user);
        Config full;
        try {
            full = user.withFallback(reference).resolve();
            full.checkValid(reference, ROOT);
        } catch (ConfigException e) {
            throw new BadInputException("config: " + oneLine(e.getMessage()));
        }
        return full;
    }

    private static Config parseOverride(String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new BadInputException("config override '" + kv + "' is not of the form key=value");
        }
        String key = kv.substring(0, eq).trim();
        if (!key.startsWith(ROOT + ".")) {
            key = ROOT + "." + key;
        }
        String value = kv.substring(eq + 1);
        try {
            // Parsed as HOCON so lists and numbers keep their types; a bare word stays a string.
            return ConfigFactory.parseString(key + " = " + quoteIfNeeded(value),
                    ConfigParseOptions.defaults().setOriginDescription("command-line override " + kv));
        } catch (ConfigException e) {
            throw new BadInputException("config override '" + kv + "': " + oneLine(e.getMessage()));
        }
    }

    private static String quoteIfNeeded(String v) {
        String t = v.trim();
        if (t.isEmpty() || t.startsWith("[") || t.startsWith("{") || t.startsWith("\"")) {
            return t.isEmpty() ? "\"\"" : t;
        }
        if (t.matches("-?[0-9.eE+-]+|true|false|null")) {
            return t;
        }
        return com.typesafe.config.ConfigValueFactory.fromAnyRef(t).render();
    }

    private static Config envOverrides(Map<String, String> env) {
        StringBuilder hocon = new StringBuilder();
        for (Map.Entry<String, String> e : env.entrySet()) {
            String prefix = "CONFIG_FORCE_" + ROOT + "_";
            if (!e.getKey().startsWith(prefix)) {
                continue;
            }
            String path = e.getKey().substring("CONFIG_FORCE_".length())
                    .replace("___", "\u0000").replace("__", "-").replace('_', '.').replace('\u0000', '_');
            hocon.append(path).append(" = ").append(quoteIfNeeded(e.getValue())).append('\n');
        }
        try {
            return ConfigFactory.parseString(hocon.toString(),
                    ConfigParseOptions.defaults().setOriginDescription("environment (CONFIG_FORCE_*)"));
        } catch (ConfigException e) {
            throw new BadInputException("config from environment: " + oneLine(e.getMessage()));
        }
    }

    /** A file path, or the name of a recipe shipped in the jar from the project's {@code conf/} folder. */
    private static Config parseRecipe(String recipe) {
        Path file = Paths.get(recipe);
        try {
            if (Files.isRegularFile(file)) {
                return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            }
            String resource = Recipes.FOLDER + (recipe.endsWith(".conf") ? recipe : recipe + ".conf");
            if (ConfigLoader.class.getClassLoader().getResource(resource) == null) {
                throw new BadInputException("config '" + recipe + "': no such file, and no recipe of that name in conf/ ("
                        + String.join(", ", Recipes.names()) + ")");
            }
            return ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), resource,
                    ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new BadInputException("config " + recipe + ": " + oneLine(e.getMessage()));
        }
    }

    private void checkKnownKeys(Config user) {
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(ROOT + ".")) {
                throw new BadInputException("config key '" + key + "' (" + e.getValue().origin().description()
                        + ") is outside the '" + ROOT + "' block");
            }
            if (!reference.hasPathOrNull(key) && !underFreeFormBlock(key)) {
                throw new BadInputException("unknown config key '" + key + "' (" + e.getValue().origin().description()
                        + ")" + suggestion(key));
            }
            checkType(user, key);
        }
    }

    /** Typesafe's checkValid accepts any string where a number is expected; we want "lots" rejected now. */
    private void checkType(Config user, String key) {
        if (!reference.hasPath(key)) {
            return;
        }
        ConfigValueType expected = reference.getValue(key).valueType();
        ConfigValue given = user.getValue(key);
        String problem = null;
        try {
            switch (expected) {
                case NUMBER -> user.getDouble(key);
                case BOOLEAN -> user.getBoolean(key);
                case LIST -> user.getList(key);
                case OBJECT -> user.getObject(key);
                default -> {
                }
            }
        } catch (ConfigException.WrongType wrong) {
            problem = "expects " + expected.name().toLowerCase(java.util.Locale.ROOT);
        }
        if (problem != null) {
            throw new BadInputException("config key '" + key + "' " + problem + ", got " + given.render()
                    + " (" + given.origin().description() + ")");
        }
    }

    /** Blocks whose keys are the user's own (e.g. extra Spark settings) are not checked key by key. */
    private boolean underFreeFormBlock(String key) {
        String[] parts = key.split("\\.");
        StringBuilder prefix = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String p = prefix + ".free-form";
            if (reference.hasPath(p) && reference.getBoolean(p)) {
                return true;
            }
            prefix.append('.').append(parts[i]);
        }
        return false;
    }

    private String suggestion(String key) {
        String best = Levenshtein.closest(key, reference.entrySet().stream().map(Map.Entry::getKey).toList(), 3);
        return best != null ? "; did you mean '" + best + "'?" : "";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ');
    }
}
