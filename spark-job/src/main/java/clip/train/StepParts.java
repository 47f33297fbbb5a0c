package clip.train;

import clip.layers.Init;
import clip.loss.SplitBatchGradient;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Whether a worker cuts its pairs into parts, one per core, and the twins it does that with. */
final class StepParts {
    private StepParts() {
    }

    /**
     * The parts for a worker's steps, or null to run its pairs whole: only a worker that has the
     * machine to itself (the only one) splits, since workers in one JVM share its cores and the
     * native pools' thread counts; not with micro-batches, which bound memory instead; and not
     * when a forward pass depends on which rows run together (train-mode BatchNorm, dropout).
     */
    static SplitBatchGradient forWorker(ModelFactory.Built built, int workers, int microBatches, long localPairs) {
        ContrastiveModel model = built.model();
        int parts = workers == 1 && microBatches == 1 && !model.dependsOnRowPlacement()
                ? SplitBatchGradient.partsFor(Runtime.getRuntime().availableProcessors(), localPairs, model.parameterCount())
                : 1;
        if (parts == 1) {
            return null;
        }
        Double bias = model.logitBias() == null ? null : 0.0;
        List<ContrastiveModel> twins = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            // The twin's own weights are replaced by the model's at once; only the architecture matters here.
            ContrastiveModel twin = HfModels.build(built.hfConfig(), "twin", Init.forLoading(model.logitScale().value().dataType()),
                    bias).asContrastive();
            // nor its own buffers: an eval-mode ResNet normalises with the model's running statistics
            Map<String, INDArray> buffers = model.namedBuffers();
            twin.namedBuffers().forEach((name, b) -> b.assign(buffers.get(name)));
            twins.add(twin);
        }
        return new SplitBatchGradient(model, twins);
    }
}
