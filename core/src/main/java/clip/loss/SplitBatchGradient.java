package clip.loss;

import clip.layers.NativeThreads;
import clip.layers.Parameter;
import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A process's pairs cut into equal parts, each encoded and backpropagated on its own thread with
 * single-threaded products and kernels ({@link NativeThreads#single}): one part per core. At the
 * sizes of a small tower OpenBLAS gains almost nothing from a second thread (its products are a
 * few hundred rows), while whole parts side by side use both cores for everything, element-wise
 * kernels included. Part 0 runs on the
 * model, part p on a twin that reads the model's weights and keeps its own activations and
 * gradients; after the backward pass the twins' gradients are added to the model's in part order,
 * so a step's bits depend only on the number of parts.
 *
 * <p>What happens between the forward and backward halves is the caller's ({@link Objective}), so
 * a distributed step can gather the embeddings of every worker there.
 */
public final class SplitBatchGradient implements AutoCloseable {
    private final ContrastiveModel model;
    private final List<ContrastiveModel> twins;
    private final List<Parameter[]> sharedParameters = new ArrayList<>();
    private final ExecutorService threads;
    private Step step;

    /**
     * @param twins models of the same architecture as {@code model}, one per part after the first;
     *              their weights are replaced by the model's (and freed)
     */
    public SplitBatchGradient(ContrastiveModel model, List<ContrastiveModel> twins) {
        this.model = model;
        this.twins = List.copyOf(twins);
        Map<String, Parameter> own = model.namedParameters();
        for (ContrastiveModel twin : this.twins) {
            Map<String, Parameter> theirs = twin.namedParameters();
            if (!theirs.keySet().equals(own.keySet())) {
                throw new IllegalArgumentException("a twin must have the model's parameters, by name");
            }
            Parameter[] pairs = new Parameter[2 * own.size()];
            int i = 0;
            for (Map.Entry<String, Parameter> e : own.entrySet()) {
                theirs.get(e.getKey()).shareValue(e.getValue());
                // a twin's lookup tables keep gradients only for the rows its part reads
                theirs.get(e.getKey()).keepRowGradients();
                pairs[i++] = e.getValue();
                pairs[i++] = theirs.get(e.getKey());
            }
            sharedParameters.add(pairs);
        }
        this.threads = Executors.newFixedThreadPool(Math.max(1, this.twins.size()), r -> {
            Thread t = new Thread(r, "clip-step-part");
            t.setDaemon(true);
            return t;
        });
    }

    /** Models above this size run a step's pairs whole: a twin's gradients would cost 4 bytes a parameter. */
    static final long MAX_SPLIT_PARAMETERS = 50_000_000L;

    /**
     * How many parts to cut a step's {@code pairs} into on {@code cores} cores: one per core for a
     * small model, whose products are too small for OpenBLAS to spread over cores; the whole batch
     * for a large one (ViT-B/16 + BERT-base: 196M parameters, products that two OpenBLAS threads
     * share well, and a twin would add 784 MB of gradients); fewer parts when the pairs do not cut evenly.
     */
    public static int partsFor(int cores, long pairs, long parameters) {
        if (parameters > MAX_SPLIT_PARAMETERS) {
            return 1;
        }
        int parts = Math.max(1, cores);
        while (parts > 1 && pairs % parts != 0) {
            parts--;
        }
        return parts;
    }

    /** Parts a batch is cut into. */
    public int parts() {
        return twins.size() + 1;
    }

    /** What a step does between the forward and backward halves: the loss, and a gather of the embeddings first in a distributed step. */
    public interface Objective {
        /**
         * @param images the pairs' image embeddings [B, P], in row order; @param texts their text embeddings
         * @return the loss gradient with respect to both, the same rows: {dImages, dTexts}
         */
        INDArray[] gradient(INDArray images, INDArray texts);
    }

    /** {@link BatchGradient#accumulate}'s step, the parts side by side. */
    public LossResult accumulate(ContrastiveLoss loss, Pairs pairs) {
        double bias = model.logitBias() == null ? 0 : model.logitBias().value().getDouble(0);
        double scale = model.logitScale().value().getDouble(0);
        LossResult[] result = new LossResult[1];
        accumulate(pairs, (images, texts) -> {
            result[0] = loss.compute(images, texts, scale, bias);
            return new INDArray[] {result[0].dImageEmbeds(), result[0].dTextEmbeds()};
        });
        BatchGradient.addScalar(model.logitScale(), result[0].dLogitScale());
        if (model.logitBias() != null) {
            BatchGradient.addScalar(model.logitBias(), result[0].dLogitBias());
        }
        return result[0];
    }

    /**
     * Encodes the pairs, part p on its own thread (part 0 on the caller's), hands the embeddings
     * of all of them to {@code objective}, and backpropagates the gradient it returns the same
     * way; the twins' gradients are then added to the model's.
     */
    public void accumulate(Pairs pairs, Objective objective) {
        INDArray[] embeddings = encode(pairs);
        INDArray[] gradients;
        try {
            gradients = objective.gradient(embeddings[0], embeddings[1]);
        } catch (RuntimeException | Error e) {
            throw abort(e);
        }
        backward(gradients[0], gradients[1]);
    }

    /**
     * The embeddings of all the pairs in row order, {images [B, P], texts [B, P]}; every part
     * keeps its activations until {@link #backward}, which must follow.
     */
    private INDArray[] encode(Pairs pairs) {
        long size = pairs.size();
        if (size % parts() != 0) {
            throw new IllegalArgumentException(size + " pairs cannot be cut into " + parts() + " equal parts");
        }
        long count = size / parts();
        NativeThreads saved = NativeThreads.single();
        step = new Step(saved);
        try {
            for (int p = 1; p < parts(); p++) {
                ContrastiveModel twin = twins.get(p - 1);
                Parameter[] shared = sharedParameters.get(p - 1);
                for (int i = 0; i < shared.length; i += 2) {
                    shared[i + 1].setTrainable(shared[i].trainable());
                }
                Part part = new Part();
                step.parts.add(part);
                long from = p * count;
                part.done = threads.submit(() -> part.run(pairs, twin, from, count));
            }
            INDArray images0 = pairs.encodeImages(model, 0, count);
            INDArray texts0 = pairs.encodeTexts(model, 0, count);
            INDArray[] images = new INDArray[parts()];
            INDArray[] texts = new INDArray[parts()];
            images[0] = images0;
            texts[0] = texts0;
            for (int p = 1; p < parts(); p++) {
                INDArray[] embeddings = step.parts.get(p - 1).embeddings.get();
                images[p] = embeddings[0];
                texts[p] = embeddings[1];
            }
            return new INDArray[] {Nd4j.vstack(images), Nd4j.vstack(texts)};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw abort(new IllegalStateException("interrupted while the parts of a step were encoded", e));
        } catch (ExecutionException e) {
            throw abort(unwrap(e));
        } catch (RuntimeException | Error e) {
            throw abort(e);
        }
    }

    /** Backpropagates the gradient with respect to what {@link #encode} returned, each part on its own thread. */
    private void backward(INDArray dImages, INDArray dTexts) {
        if (step == null) {
            throw new IllegalStateException("backward without encode");
        }
        long count = dImages.size(0) / parts();
        try {
            for (int p = 1; p < parts(); p++) {
                long from = p * count;
                INDArray dI = StepMemory.outside(() -> rows(dImages, from, count));
                INDArray dT = StepMemory.outside(() -> rows(dTexts, from, count));
                step.parts.get(p - 1).gradients.complete(new INDArray[] {dI, dT});
            }
            model.backwardImages(rows(dImages, 0, count));
            model.backwardTexts(rows(dTexts, 0, count));
            for (Part part : step.parts) {
                part.done.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw abort(new IllegalStateException("interrupted while the parts of a step were backpropagated", e));
        } catch (ExecutionException e) {
            throw abort(unwrap(e));
        } catch (RuntimeException | Error e) {
            throw abort(e);
        }
        step.saved.close();
        step = null;
        addTwinGradients();
    }

    /** model.grad += twin.grad in part order, and the twin's gradient back to zero for its next step. */
    private void addTwinGradients() {
        for (Parameter[] pairs : sharedParameters) {
            for (int i = 0; i < pairs.length; i += 2) {
                pairs[i].takeGradient(pairs[i + 1]);
            }
        }
    }

    private RuntimeException abort(Throwable cause) {
        if (step != null) {
            for (Part part : step.parts) {
                part.gradients.complete(null);
                part.done.cancel(false);
            }
            for (Part part : step.parts) {
                try {
                    part.done.get();
                } catch (Exception ignored) {
                    // the step already failed with the first cause
                }
            }
            step.saved.close();
            step = null;
        }
        return cause instanceof RuntimeException r ? r : cause instanceof Error err ? new IllegalStateException(err) : new IllegalStateException(cause);
    }

    private static Throwable unwrap(ExecutionException e) {
        return e.getCause() == null ? e : e.getCause();
    }

    private static INDArray rows(INDArray m, long from, long count) {
        return m.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all()).dup('c');
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }

    /** What one step's parts hand over between the forward and backward halves. */
    private static final class Step {
        final NativeThreads saved;
        final List<Part> parts = new ArrayList<>();

        Step(NativeThreads saved) {
            this.saved = saved;
        }
    }

    /** One part after the first, run on a thread of its own from encode to the end of its backward pass. */
    private static final class Part {
        final CompletableFuture<INDArray[]> embeddings = new CompletableFuture<>();
        final CompletableFuture<INDArray[]> gradients = new CompletableFuture<>();
        Future<?> done;

        Void run(Pairs pairs, ContrastiveModel twin, long from, long count) throws Exception {
            // The activations live in this thread's own step workspace from encode to backward.
            try (var ws = StepMemory.open()) {
                INDArray images = pairs.encodeImages(twin, from, count);
                INDArray texts = pairs.encodeTexts(twin, from, count);
                embeddings.complete(new INDArray[] {StepMemory.outside(images::dup), StepMemory.outside(texts::dup)});
                INDArray[] d = gradients.get();
                if (d != null) {
                    twin.backwardImages(d[0]);
                    twin.backwardTexts(d[1]);
                }
            } catch (Throwable t) {
                embeddings.completeExceptionally(t);
                throw t;
            }
            return null;
        }
    }
}
