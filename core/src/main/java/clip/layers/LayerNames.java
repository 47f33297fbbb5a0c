package clip.layers;

/** The state_dict names inside one encoder layer, per HF model family. */
public record LayerNames(String attention, AttentionNames attentionNames, String norm1, String norm2,
                         String fc1, String fc2) {
    /** BERT: attention.output.LayerNorm follows attention, output.LayerNorm follows the MLP. */
    public static final LayerNames BERT = new LayerNames("attention", AttentionNames.BERT,
            "attention.output.LayerNorm", "output.LayerNorm", "intermediate.dense", "output.dense");
    public static final LayerNames VIT = new LayerNames("attention", AttentionNames.VIT,
            "layernorm_before", "layernorm_after", "intermediate.dense", "output.dense");
    public static final LayerNames CLIP = new LayerNames("self_attn", AttentionNames.CLIP,
            "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2");
    /** DistilBERT: post-LN like BERT, sa_layer_norm after attention, output_layer_norm after the FFN. */
    public static final LayerNames DISTILBERT = new LayerNames("attention", AttentionNames.DISTILBERT,
            "sa_layer_norm", "output_layer_norm", "ffn.lin1", "ffn.lin2");
}
