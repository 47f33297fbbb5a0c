package clip.onnx;

import clip.io.BadInputException;
import clip.layers.LayerNames;
import clip.model.BertModel;
import clip.model.ClipTextModel;
import clip.model.ClipVisionModel;
import clip.model.DistilBertModel;
import clip.model.ResNetConfig;
import clip.model.ResNetModel;
import clip.model.Tower;
import clip.model.TowerConfig;
import clip.model.ViTModel;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Each tower of clip.model as an ONNX subgraph from its inputs to its pooled output, the feature
 * its projection head takes: the same computation as the tower's forward pass, in eval mode.
 */
final class TowerGraphs {
    private final LayerGraphs l;
    private final OnnxGraph g;

    TowerGraphs(LayerGraphs layers) {
        this.l = layers;
        this.g = layers.graph();
    }

    /**
     * Declares the image input {@code pixel_values} [batch, C, H, W] (H and W fixed for the
     * transformers, whose position embeddings fix them, free for a ResNet) and builds the tower.
     * @param p the tower's weight prefix ({@code vision_model.})
     */
    String vision(Tower<?> tower, String p) {
        if (tower instanceof ViTModel vit) {
            return vit(vit.config(), pixels(vit.config()), p);
        }
        if (tower instanceof ClipVisionModel clip) {
            return clipVision(clip.config(), pixels(clip.config()), p);
        }
        if (tower instanceof ResNetModel resnet) {
            return resnet(resnet.config(), g.input(OnnxExport.PIXELS, OnnxGraph.FLOAT, "batch", 3L, "height", "width"), p);
        }
        throw new BadInputException("ONNX export: no ONNX form for the vision tower " + tower.getClass().getSimpleName());
    }

    private String pixels(TowerConfig c) {
        return g.input(OnnxExport.PIXELS, OnnxGraph.FLOAT, "batch", (long) c.channels(), (long) c.imageSize(), (long) c.imageSize());
    }

    /** Declares the text inputs {@code input_ids} and {@code attention_mask}, [batch, sequence] int64, and builds the tower. */
    String text(Tower<?> tower, String p) {
        String ids = g.input(OnnxExport.INPUT_IDS, OnnxGraph.INT64, "batch", "sequence");
        String mask = g.input(OnnxExport.ATTENTION_MASK, OnnxGraph.INT64, "batch", "sequence");
        if (tower instanceof BertModel bert) {
            return bert(bert.config(), ids, mask, p);
        }
        if (tower instanceof ClipTextModel clip) {
            return clipText(clip.config(), ids, mask, p);
        }
        if (tower instanceof DistilBertModel distil) {
            return distilBert(distil.config(), ids, mask, p);
        }
        throw new BadInputException("ONNX export: no ONNX form for the text tower " + tower.getClass().getSimpleName());
    }

    /** ViTModel: patches + [CLS] + positions, pre-LN encoder, final LayerNorm, tanh pooler at [CLS]. */
    private String vit(TowerConfig c, String pixels, String p) {
        String patches = patchTokens(pixels, p + "embeddings.patch_embeddings.projection.", c);
        String x = withClassToken(patches, pixels, l.weight(p + "embeddings.cls_token"), c);
        x = g.node("Add", x, l.weight(p + "embeddings.position_embeddings"));
        x = l.layerNorm(l.encoder(x, p + "encoder.layer.", c, true, LayerNames.VIT, null), p + "layernorm.", c.layerNormEps());
        return g.node("Tanh", l.linear(l.first(x), p + "pooler.dense."));
    }

    /** CLIPVisionTransformer: class embedding + bias-free patches + positions, pre_layrnorm, encoder, post_layernorm(CLS). */
    private String clipVision(TowerConfig c, String pixels, String p) {
        String patches = patchTokens(pixels, p + "embeddings.patch_embedding.", c);
        INDArray cls = l.value(p + "embeddings.class_embedding");
        String x = withClassToken(patches, pixels, g.weight(p + "embeddings.class_embedding[1,1,D]", cls.reshape(1, 1, c.hidden())), c);
        x = g.node("Add", x, l.weight(p + "embeddings.position_embedding.weight"));
        x = l.layerNorm(x, p + "pre_layrnorm.", c.layerNormEps());
        x = l.encoder(x, p + "encoder.layers.", c, true, LayerNames.CLIP, null);
        return l.layerNorm(l.first(x), p + "post_layernorm.", c.layerNormEps());
    }

    /** PatchProjection: a convolution with kernel = stride = patch, flattened to [B, N, D] in row-major grid order. */
    private String patchTokens(String pixels, String prefix, TowerConfig c) {
        List<String> in = l.has(prefix + "bias") ? List.of(pixels, l.weight(prefix + "weight"), l.weight(prefix + "bias"))
                : List.of(pixels, l.weight(prefix + "weight"));
        String y = g.node("Conv", in, Attribute.ints("kernel_shape", c.patchSize(), c.patchSize()),
                Attribute.ints("strides", c.patchSize(), c.patchSize()));
        return g.node("Transpose", g.node("Reshape", y, g.ints(0, c.hidden(), -1)), Attribute.ints("perm", 0, 2, 1));
    }

    /** [B, N, D] -> [B, N+1, D], the class token ([1, 1, D]) first. */
    private String withClassToken(String patches, String pixels, String cls, TowerConfig c) {
        String batch = g.node("Shape", pixels, Attribute.of("start", 0L), Attribute.of("end", 1L));
        String shape = g.node("Concat", List.of(batch, g.ints(1, c.hidden())), Attribute.of("axis", 0L));
        return g.node("Concat", List.of(g.node("Expand", cls, shape), patches), Attribute.of("axis", 1L));
    }

    /**
     * BertModel: word + token type 0 + position embeddings (captions are single sentences: the
     * project embeds them with token types 0), LayerNorm, post-LN encoder, tanh pooler at [CLS] (or
     * [CLS] itself when saved without the pooler).
     */
    private String bert(TowerConfig c, String ids, String mask, String p) {
        String e = p + "embeddings.";
        INDArray typeZero = l.value(e + "token_type_embeddings.weight").getRow(0);
        String x = g.node("Add", g.node("Gather", l.weight(e + "word_embeddings.weight"), ids),
                g.weight(e + "token_type_embeddings.weight[0]", typeZero));
        x = g.node("Add", x, l.positions(l.weight(e + "position_embeddings.weight"), ids));
        x = l.layerNorm(x, e + "LayerNorm.", c.layerNormEps());
        x = l.encoder(x, p + "encoder.layer.", c, false, LayerNames.BERT, l.attentionBias(mask, false));
        String first = l.first(x);
        return l.has(p + "pooler.dense.weight") ? g.node("Tanh", l.linear(first, p + "pooler.dense.")) : first;
    }

    /** CLIPTextTransformer: token + position embeddings, causal pre-LN encoder, final LayerNorm, pooled at argmax(ids) (HF 4.30's end-of-text rule). */
    private String clipText(TowerConfig c, String ids, String mask, String p) {
        String x = g.node("Add", g.node("Gather", l.weight(p + "embeddings.token_embedding.weight"), ids),
                l.positions(l.weight(p + "embeddings.position_embedding.weight"), ids));
        x = l.encoder(x, p + "encoder.layers.", c, true, LayerNames.CLIP, l.attentionBias(mask, true));
        x = l.layerNorm(x, p + "final_layer_norm.", c.layerNormEps());
        // ArgMax on floats (ids are far below 2^24, so exact); the first maximum, as torch.argmax
        String eot = g.node("ArgMax", g.node("Cast", ids, Attribute.of("to", (long) OnnxGraph.FLOAT)),
                Attribute.of("axis", 1L), Attribute.of("keepdims", 1L), Attribute.of("select_last_index", 0L));
        return g.node("GatherND", x, eot, Attribute.of("batch_dims", 1L));
    }

    /** DistilBertModel: LayerNorm(words + positions), post-LN encoder, [CLS]. */
    private String distilBert(TowerConfig c, String ids, String mask, String p) {
        String e = p + "embeddings.";
        String x = g.node("Add", g.node("Gather", l.weight(e + "word_embeddings.weight"), ids),
                l.positions(l.weight(e + "position_embeddings.weight"), ids));
        x = l.layerNorm(x, e + "LayerNorm.", c.layerNormEps());
        x = l.encoder(x, p + "transformer.layer.", c, false, LayerNames.DISTILBERT, l.attentionBias(mask, false));
        return l.first(x);
    }

    /** ResNetModel in eval mode: stem, four stages of blocks, global average pooling to [B, C]. */
    private String resnet(ResNetConfig c, String pixels, String p) {
        double eps = c.batchNormEps();
        String x = g.node("Relu", l.batchNorm(l.conv(pixels, p + "conv1.", 2), p + "bn1.", eps));
        x = g.node("MaxPool", x, Attribute.ints("kernel_shape", 3, 3), Attribute.ints("strides", 2, 2),
                Attribute.ints("pads", 1, 1, 1, 1));
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < c.layers()[s]; b++) {
                x = block(x, p + "layer" + (s + 1) + "." + b + ".", c.bottleneck(), s > 0 && b == 0 ? 2 : 1, eps);
            }
        }
        return g.node("Flatten", g.node("GlobalAveragePool", x), Attribute.of("axis", 1L));
    }

    /** ResNetBlock: BasicBlock (stride on conv1) or Bottleneck (stride on conv2), shortcut, ReLU after the sum. */
    private String block(String x, String p, boolean bottleneck, int stride, double eps) {
        int convs = bottleneck ? 3 : 2;
        int strided = bottleneck ? 2 : 1;
        String h = x;
        for (int i = 1; i <= convs; i++) {
            h = l.batchNorm(l.conv(h, p + "conv" + i + ".", i == strided ? stride : 1), p + "bn" + i + ".", eps);
            if (i < convs) {
                h = g.node("Relu", h);
            }
        }
        String shortcut = l.has(p + "downsample.0.weight")
                ? l.batchNorm(l.conv(x, p + "downsample.0.", stride), p + "downsample.1.", eps) : x;
        return g.node("Relu", g.node("Add", h, shortcut));
    }
}
