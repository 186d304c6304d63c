"""Full-integer post-training quantization in LiteRT, TensorFlow's deployment runtime: the
pruned model (compacted) rebuilt in Keras, converted by TensorFlow's converter with every op
in int8 (weights per channel, activations per tensor from calibration images; a float input
and output quantized and dequantized at the edges), run by LiteRT's interpreter on one
thread. The converted model's output is the logits: the softmax is left out, as in every
evaluation here."""

from __future__ import annotations

import numpy as np

from ..measuring.compaction import compact
from ..models.network import Network
from . import calibration_batches


def litert_model(network: Network, calibration: np.ndarray) -> bytes:
    """The int8 LiteRT (.tflite) model of ``network``, its ranges from ``calibration``."""
    from ..models.backend import import_tensorflow

    tf = import_tensorflow(1, False)
    import keras

    from ..measuring.export import to_keras

    model = to_keras(compact(network))
    model.get_layer(network.graph.output).activation = keras.activations.linear
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    calibration = calibration.astype(np.float32)
    converter.representative_dataset = lambda: ([batch] for batch in calibration_batches(calibration))
    return converter.convert()


def litert_predictor(model: bytes):
    """A function from images to the LiteRT model's logits, computed by LiteRT's interpreter on
    one thread, all images in one call (the interpreter is resized when the batch changes)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model, num_threads=1)
    source, result = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    shape = []

    def logits(x: np.ndarray) -> np.ndarray:
        if list(x.shape) != shape:
            interpreter.resize_tensor_input(source["index"], list(x.shape))
            interpreter.allocate_tensors()
            shape[:] = x.shape
        interpreter.set_tensor(source["index"], np.ascontiguousarray(x, dtype=np.float32))
        interpreter.invoke()
        return interpreter.get_tensor(result["index"]).copy()

    return logits
