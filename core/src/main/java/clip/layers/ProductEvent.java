package clip.layers;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One matrix product as a JFR event: its shape, its wall time (the event's duration) and the
 * calling thread's CPU time over it. A product that ran slower inside a step than alone is either
 * one whose thread was off the CPU part of the time (CPU time well under the duration: preempted)
 * or one that ran slower on it (cache misses, page faults, a slower clock). Off unless a recording
 * enables it ({@code bench/jfr_products.py} has the settings and the summary); when off the JIT
 * drops the event, and {@link Blas} reads no clock.
 */
@Name("clip.layers.Product")
@Label("Matrix product")
@Category("clip")
@Description("One float or double matrix product through Blas: m x k times k x n")
@StackTrace(false)
@Enabled(false)
final class ProductEvent extends jdk.jfr.Event {
    @Label("Rows of the result")
    int m;

    @Label("Columns of the result")
    int n;

    @Label("Inner dimension")
    int k;

    @Label("A transposed")
    boolean transA;

    @Label("B transposed")
    boolean transB;

    @Label("Threads asked for")
    int threads;

    @Label("Calling thread's CPU time")
    @Timespan(Timespan.NANOSECONDS)
    long cpuTime;
}
