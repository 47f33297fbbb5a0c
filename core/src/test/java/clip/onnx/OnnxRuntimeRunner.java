package clip.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An exported model run by ONNX Runtime's Java API: INDArrays in, the first output as an INDArray. */
public final class OnnxRuntimeRunner implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxRuntimeRunner(Path model, int threads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        session = env.createSession(model.toString(), options);
    }

    /** Float inputs go in as float32, the others as int64. */
    public INDArray run(Map<String, INDArray> inputs) throws OrtException {
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, INDArray> e : inputs.entrySet()) {
                INDArray a = e.getValue();
                tensors.put(e.getKey(), a.dataType().isFPType()
                        ? OnnxTensor.createTensor(env, FloatBuffer.wrap(a.castTo(DataType.FLOAT).dup('c').data().asFloat()), a.shape())
                        : OnnxTensor.createTensor(env, LongBuffer.wrap(a.castTo(DataType.LONG).dup('c').data().asLong()), a.shape()));
            }
            try (OrtSession.Result result = session.run(tensors)) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                FloatBuffer values = out.getFloatBuffer();
                float[] data = new float[values.remaining()];
                values.get(data);
                return Nd4j.createFromArray(data).reshape(out.getInfo().getShape());
            }
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
