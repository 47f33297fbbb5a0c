package clip.layers;

/** The state_dict names of an attention block's projections, which differ per HF model family. */
public record AttentionNames(String query, String key, String value, String output) {
    public static final AttentionNames BERT =
            new AttentionNames("self.query", "self.key", "self.value", "output.dense");
    public static final AttentionNames VIT =
            new AttentionNames("attention.query", "attention.key", "attention.value", "output.dense");
    public static final AttentionNames CLIP = new AttentionNames("q_proj", "k_proj", "v_proj", "out_proj");
    public static final AttentionNames DISTILBERT = new AttentionNames("q_lin", "k_lin", "v_lin", "out_lin");
}
