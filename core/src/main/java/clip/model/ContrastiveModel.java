package clip.model;

import clip.layers.Module;
import clip.layers.Parameter;

import clip.layers.BatchStatistics;
import clip.layers.L2Normalize;
import clip.layers.Layer;
import clip.layers.ResidualProjection;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Two towers, a projection head each, L2-normalised embeddings and a learned logit scale (plus
 * a logit bias for SigLIP): HF's {@code CLIPModel} and {@code VisionTextDualEncoderModel} are
 * both this, with different towers and parameter order.
 *
 * <p>Images and texts are encoded and backpropagated separately, so a distributed step can
 * gather embeddings between the two halves.
 */
public final class ContrastiveModel extends Module {
    /** Which HF class the model is laid out (and exported) as. */
    public enum Layout { CLIP, DUAL_ENCODER }

    private final Layout layout;
    private final Tower<INDArray> vision;
    private final Tower<TextBatch> text;
    private final Layer visualProjection;
    private final Layer textProjection;
    private final Parameter logitScale;
    private final Parameter logitBias;
    private final L2Normalize imageNorm = new L2Normalize();
    private final L2Normalize textNorm = new L2Normalize();
    private TowerOutput lastVision;
    private TowerOutput lastText;
    private INDArray lastImageFeatures;
    private INDArray lastTextFeatures;
    private long step;
    private long rowOffset;

    public <V extends Module & Tower<INDArray>, T extends Module & Tower<TextBatch>, P extends Module & Layer>
            ContrastiveModel(Layout layout, V vision, T text, P visualProjection, P textProjection,
                             Parameter logitScale, Parameter logitBias) {
        this.layout = layout;
        this.logitScale = param("logit_scale", logitScale);
        if (layout == Layout.CLIP) {
            child("text_model", text);
            child("vision_model", vision);
        } else {
            child("vision_model", vision);
            child("text_model", text);
        }
        child("visual_projection", visualProjection);
        child("text_projection", textProjection);
        this.logitBias = logitBias == null ? null : param("logit_bias", logitBias);
        this.vision = vision;
        this.text = text;
        this.visualProjection = visualProjection;
        this.textProjection = textProjection;
    }

    /**
     * L2-normalised image embeddings [B, P]; keeps activations for {@link #backwardImages}. Only
     * the pooled output is computed ({@link Tower#forwardPooled}); {@link #forward} gives all.
     */
    public INDArray encodeImages(INDArray pixels) {
        return encodeImages(pixels, 0);
    }

    /** As {@link #encodeImages(INDArray)} for rows that start at row {@code firstRow} of this worker's pairs (dropout's masks). */
    public INDArray encodeImages(INDArray pixels, long firstRow) {
        return encodedImages(vision.forwardPooled(pixels), firstRow);
    }

    private INDArray encodedImages(TowerOutput out, long firstRow) {
        INDArray embeds = projectImages(out.pooled(), firstRow);
        lastVision = out;
        return embeds;
    }

    /**
     * L2-normalised image embeddings [B, P] from the vision tower's pooled output [B, H], computed
     * earlier (projection-only training on cached features); {@link #backwardImages} then stops
     * at the projection.
     */
    public INDArray projectImages(INDArray pooled) {
        return projectImages(pooled, 0);
    }

    /** As {@link #projectImages(INDArray)} for rows that start at row {@code firstRow} of this worker's pairs. */
    public INDArray projectImages(INDArray pooled, long firstRow) {
        lastVision = null;
        place(visualProjection, firstRow);
        parametersNeeded((Module) visualProjection);
        lastImageFeatures = visualProjection.forward(pooled);
        return imageNorm.forward(lastImageFeatures);
    }

    /** L2-normalised text embeddings [B, P]; keeps activations for {@link #backwardTexts}. */
    public INDArray encodeTexts(TextBatch batch) {
        return encodeTexts(batch, 0);
    }

    /** As {@link #encodeTexts(TextBatch)} for rows that start at row {@code firstRow} of this worker's pairs. */
    public INDArray encodeTexts(TextBatch batch, long firstRow) {
        return encodedTexts(text.forwardPooled(batch), firstRow);
    }

    private INDArray encodedTexts(TowerOutput out, long firstRow) {
        INDArray embeds = projectTexts(out.pooled(), firstRow);
        lastText = out;
        return embeds;
    }

    /** L2-normalised text embeddings [B, P] from the text tower's pooled output [B, H]; see {@link #projectImages}. */
    public INDArray projectTexts(INDArray pooled) {
        return projectTexts(pooled, 0);
    }

    /** As {@link #projectTexts(INDArray)} for rows that start at row {@code firstRow} of this worker's pairs. */
    public INDArray projectTexts(INDArray pooled, long firstRow) {
        lastText = null;
        place(textProjection, firstRow);
        parametersNeeded((Module) textProjection);
        lastTextFeatures = textProjection.forward(pooled);
        return textNorm.forward(lastTextFeatures);
    }

    public void backwardImages(INDArray dImageEmbeds) {
        INDArray dPooled = visualProjection.backward(imageNorm.backward(dImageEmbeds));
        gradientsReady((Module) visualProjection);
        if (anyTrainable(vision, lastVision, "vision")) {
            vision.backward(null, dPooled);
            gradientsReady((Module) vision);
        }
    }

    public void backwardTexts(INDArray dTextEmbeds) {
        INDArray dPooled = textProjection.backward(textNorm.backward(dTextEmbeds));
        gradientsReady((Module) textProjection);
        if (anyTrainable(text, lastText, "text")) {
            text.backward(null, dPooled);
            gradientsReady((Module) text);
        }
    }

    /**
     * A frozen tower is not backpropagated through at all (training only the heads); a trainable
     * one that did not run (its pooled output was given) cannot be.
     */
    private static boolean anyTrainable(Tower<?> tower, TowerOutput ran, String name) {
        boolean trainable = ((Module) tower).parameters().stream().anyMatch(Parameter::trainable);
        if (trainable && ran == null) {
            throw new IllegalStateException("the " + name + " tower is trainable but was given features, not inputs: freeze it");
        }
        return trainable;
    }

    /**
     * Train or eval mode: {@code towers} for a ResNet's BatchNorm (batch statistics, running ones
     * updated), {@code heads} for the residual heads' dropout. Frozen towers stay in eval mode.
     */
    public void setTraining(boolean towers, boolean heads) {
        if (vision instanceof ResNetModel resnet) {
            resnet.setTraining(towers);
        }
        for (Layer head : new Layer[] {visualProjection, textProjection}) {
            if (head instanceof ResidualProjection residual) {
                residual.setTraining(heads);
            }
        }
    }

    /** Where a ResNet tower's train-mode BatchNorm adds up its sums (SyncBatchNorm across workers, or each its own). */
    public void setBatchStatistics(BatchStatistics statistics) {
        if (vision instanceof ResNetModel resnet) {
            resnet.setStatistics(statistics);
        }
    }

    /** True when a forward pass normalises with batch statistics (a ResNet tower in train mode). */
    public boolean usesBatchStatistics() {
        return vision instanceof ResNetModel resnet && resnet.training();
    }

    /** True when a forward pass's result depends on which rows it sees with which (batch statistics, or dropout). */
    public boolean dependsOnRowPlacement() {
        return usesBatchStatistics() || dropsOut(visualProjection) || dropsOut(textProjection);
    }

    private static boolean dropsOut(Layer head) {
        return head instanceof ResidualProjection residual && residual.dropsOut();
    }

    /**
     * The step of the next forward passes and where this worker's pairs start in the step's global
     * batch: dropout's mask of a row is a function of (step, global row), so it is the same for any
     * number of workers, on a resume and in GradCache's second pass.
     */
    public void at(long step, long rowOffset) {
        this.step = step;
        this.rowOffset = rowOffset;
    }

    private void place(Layer head, long firstRow) {
        if (head instanceof ResidualProjection residual) {
            residual.at(step, 0, rowOffset + firstRow);
        }
    }

    /** Freezes or unfreezes both towers (not the projections or the logit scale/bias). */
    public void setTowersTrainable(boolean trainable) {
        ((Module) vision).setTrainable(trainable);
        ((Module) text).setTrainable(trainable);
    }

    /** Both towers and the logits, as HF's forward returns them (the loss is the caller's). */
    public ModelOutput forward(INDArray pixels, TextBatch batch) {
        INDArray imageEmbeds = encodedImages(vision.forward(pixels), 0);
        INDArray textEmbeds = encodedTexts(text.forward(batch), 0);
        logitsNeeded();
        double scale = Math.exp(logitScale.value().getDouble(0));
        INDArray logitsPerText = Nd4j.gemm(textEmbeds, imageEmbeds, false, true).muli(scale);
        if (logitBias != null) {
            logitsPerText.addi(logitBias.value().getDouble(0));
        }
        return new ModelOutput(lastVision, lastText, lastImageFeatures, lastTextFeatures, imageEmbeds, textEmbeds,
                logitsPerText);
    }

    /**
     * Before a loss reads the logit scale and bias: waits, when told to ({@link #onParametersNeeded}),
     * until they hold this step's values.
     */
    public void logitsNeeded() {
        parametersNeeded(logitBias == null ? List.of(logitScale) : List.of(logitScale, logitBias));
    }

    public Layout layout() {
        return layout;
    }

    public Tower<INDArray> vision() {
        return vision;
    }

    public Tower<TextBatch> text() {
        return text;
    }

    public Parameter logitScale() {
        return logitScale;
    }

    /** The SigLIP bias, or null for a CLIP-loss model. */
    public Parameter logitBias() {
        return logitBias;
    }
}
