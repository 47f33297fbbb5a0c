package clip.optim;

import java.util.Locale;

/**
 * Assigns each parameter, by its HF name, a learning rate and weight decay: per tower
 * (image: {@code vision_model.*}, {@code visual_projection.*}; text: {@code text_model.*},
 * {@code text_projection.*}; the logit scale and bias their own), and no weight decay on biases,
 * LayerNorm and BatchNorm parameters (a ResNet's {@code bnN.*} and {@code downsample.1.*}),
 * anything inside a tower's {@code embeddings} (patch conv included) and the logit scale/bias, as
 * CLIP trainers and the goldens' AdamW groups do.
 */
public final class ParameterGroups {
    private static final java.util.regex.Pattern BATCH_NORM = java.util.regex.Pattern.compile("(^|\\.)(bn\\d+|downsample\\.1)\\.weight$");
    /** One group's hyper-parameters. */
    public record Group(String name, double lr, double weightDecay) {
    }

    private final double imageLr;
    private final double textLr;
    private final double scaleLr;
    private final double imageDecay;
    private final double textDecay;

    public ParameterGroups(double imageLr, double textLr, double scaleLr, double imageDecay, double textDecay) {
        this.imageLr = imageLr;
        this.textLr = textLr;
        this.scaleLr = scaleLr;
        this.imageDecay = imageDecay;
        this.textDecay = textDecay;
    }

    /** One learning rate and weight decay for everything (the goldens' setting). */
    public static ParameterGroups uniform(double lr, double weightDecay) {
        return new ParameterGroups(lr, lr, lr, weightDecay, weightDecay);
    }

    public Group groupOf(String name) {
        if (name.equals("logit_scale") || name.equals("logit_bias")) {
            return new Group("logit", scaleLr, 0);
        }
        boolean image = name.startsWith("vision_model.") || name.startsWith("visual_projection");
        boolean decay = decays(name);
        String tower = image ? "image" : "text";
        double lr = image ? imageLr : textLr;
        double wd = decay ? (image ? imageDecay : textDecay) : 0;
        return new Group(tower + (decay ? "" : "-no-decay"), lr, wd);
    }

    public static boolean decays(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !(name.equals("logit_scale") || name.equals("logit_bias") || name.endsWith(".bias")
                || lower.contains("layernorm") || lower.contains("layer_norm") || lower.contains("layrnorm")
                || name.contains("embeddings.") || BATCH_NORM.matcher(name).find());
    }
}
