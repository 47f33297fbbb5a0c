package clip.cli;

import clip.config.ConfigLoader;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;

/** The positional arguments of the commands that take a job configuration: {@code [RECIPE|FILE.conf] [key=value ...]}. */
record RecipeArgs(String recipe, List<String> overrides) {
    static RecipeArgs of(List<String> positional) {
        String recipe = "default";
        List<String> overrides = new ArrayList<>();
        for (String a : positional) {
            if (a.contains("=")) {
                overrides.add(a);
            } else {
                recipe = a;
            }
        }
        return new RecipeArgs(recipe, overrides);
    }

    /** reference.conf, the recipe, the environment's and the command line's overrides (see {@link ConfigLoader}). */
    Config load() {
        return new ConfigLoader().load(recipe, overrides, System.getenv());
    }
}
