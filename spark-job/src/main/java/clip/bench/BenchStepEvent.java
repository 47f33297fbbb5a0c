package clip.bench;

import jdk.jfr.Category;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One step of {@code bin/clip bench} as a JFR event, so that a recording's other events (the
 * products', {@code bench/jfr_products.py}) can be taken from the timed steps alone.
 */
@Name("clip.bench.BenchStep")
@Label("Benchmark step")
@Category("clip")
@StackTrace(false)
@Enabled(false)
final class BenchStepEvent extends jdk.jfr.Event {
    @Label("Step, from 0")
    int step;

    @Label("Timed (after the warm-up)")
    boolean timed;
}
