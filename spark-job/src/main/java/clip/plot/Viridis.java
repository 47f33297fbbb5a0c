package clip.plot;

/**
 * The viridis colour map (dark purple to yellow): perceptually uniform and readable in grey and
 * by colour-blind viewers, unlike "jet". Nine samples of matplotlib's table, linearly interpolated.
 */
public final class Viridis {
    private static final int[][] ANCHORS = {
        {68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
        {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
    };

    private Viridis() {
    }

    /** @param v in [0, 1] (clamped) @return 0xRRGGBB */
    public static int rgb(double v) {
        double x = (Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v))) * (ANCHORS.length - 1);
        int i = Math.min((int) x, ANCHORS.length - 2);
        double f = x - i;
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
            rgb = (rgb << 8) | (int) Math.round(ANCHORS[i][c] + f * (ANCHORS[i + 1][c] - ANCHORS[i][c]));
        }
        return rgb;
    }
}
