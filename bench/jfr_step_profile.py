"""Shares of a training step's time by kind of work, from a JFR recording of `bin/clip bench`.

    cp $JAVA_HOME/lib/jfr/profile.jfc /tmp/p.jfc   # then set the "period" of jdk.ExecutionSample
                                                   # and of jdk.NativeMethodSample to "5 ms" in it
    CLIP_JAVA_OPTS="-Xmx8g -XX:+UseSerialGC -Xmn12m -XX:StartFlightRecording=filename=/tmp/p.jfr,settings=/tmp/p.jfc" \
        bin/clip bench --config tiny --steps 30 --no-torch
    jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample --stack-depth 60 /tmp/p.jfr > /tmp/p.txt
    python3 bench/jfr_step_profile.py /tmp/p.txt

Counts the samples of the step's threads (main, the parts' threads, the common pool's halves) and
classifies each by the first matching frame; prints a Markdown table (BENCHMARKS.md's profile)."""
import re, sys, collections
txt = open(sys.argv[1]).read()
events = re.split(r'\njdk\.(?:ExecutionSample|NativeMethodSample) \{', txt)
cats = collections.Counter()
def classify(frames):
    s = "\n".join(frames); top = frames[0] if frames else ""
    # attention's per-(example, head) products were a Vector API kernel from the eleventh session to the eighteenth
    if "HeadProducts" in s: return "products: attention, per (example, head)"
    if "dnnl_sgemm" in s or "cblas_sgemm" in s or "cblas_dgemm" in s or "Nd4j.gemm" in s or "mmul" in s:
        if "eachHead" in s: return "products: attention, per (example, head)"
        if "Linear.backward" in s: return "products: linear layers, backward"
        if "Linear.forward" in s: return "products: linear layers, forward"
        return "products: patch projection, loss, other"
    if "AdamW" in s: return "AdamW"
    if "softmax" in s: return "softmax and its backward (kernel)"
    if "VectorKernels.gelu" in s or "Activation" in s or "gaussianInto" in s or "normalCdf" in s: return "GELU (kernel)"
    if "layerNorm" in s or "LayerNorm" in s: return "LayerNorm (kernel)"
    if "addInPlace" in s or "addRowInPlace" in s or "ColumnSums" in s or "addColumnSums" in s: return "sums: residuals, biases, bias gradients (kernels)"
    if "zeroGrad" in s or "takeGradient" in s: return "zeroing and adding gradients"
    if "Embedding" in s: return "embedding lookup and scatter-add"
    # A part's own thread always has FutureTask on its stack: only a parked top frame is waiting.
    if "SplitBatchGradient" in s and ("park" in top or "Object.wait" in top): return "waiting for the other part"
    return "other (ND4J ops: masks, reshapes, pooling, L2 norm, loss; allocation)"
for ev in events[1:]:
    m = re.search(r'sampledThread = "([^"]*)"', ev); th = m.group(1) if m else "?"
    st = re.search(r'stackTrace = \[(.*?)\n\s*\]', ev, re.S)
    frames = [l.strip() for l in st.group(1).split("\n") if l.strip()] if st else []
    s = "\n".join(frames)
    if not (th.startswith("main") or th.startswith("clip-step-part") or th.startswith("ForkJoinPool")): continue
    if "DualEncoderBench.run" not in s and "SplitBatchGradient$Part.run" not in s and not (th.startswith("ForkJoin") and "Halves" in s): continue
    cats[classify(frames)] += 1
tot = sum(cats.values())
prod = sum(v for k,v in cats.items() if k.startswith("products"))
print(f"total samples {tot}; products {100*prod/tot:.1f}%")
for k,v in cats.most_common(): print(f"| {k} | {100*v/tot:.1f}% |")
