"""Post-training static int8 quantization in ONNX Runtime: weights per output channel and
activations per tensor, both int8 (symmetric weights), activation ranges calibrated (min-max)
on calibration images, in ONNX's QDQ format, which ONNX Runtime's CPU kernels run in integer
arithmetic. The model quantized is the pruned model's ONNX export, compacted first (removed
channels gone), as it would be deployed; its zeros stay zeros (0 maps to 0)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..measuring.compaction import compact
from ..measuring.onnx_export import to_onnx
from ..models.network import Network
from . import calibration_batches


def quantized_onnx(network: Network, calibration: np.ndarray) -> bytes:
    """The int8 ONNX model of ``network`` (compacted), its activation ranges from ``calibration``
    (images as :func:`prunelab.data.loading.features` gives them)."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.batches = calibration_batches(calibration.astype(np.float32))

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"x": batch}

    with tempfile.TemporaryDirectory() as folder:
        float_model, prepared, quantized = (Path(folder, name) for name in ("float.onnx", "prepared.onnx", "int8.onnx"))
        float_model.write_bytes(to_onnx(compact(network)))
        quant_pre_process(str(float_model), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(quantized), Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, extra_options={"WeightSymmetric": True,
                                                                                 "ActivationSymmetric": False})
        onnx.checker.check_model(str(quantized))
        return quantized.read_bytes()


def int8_session(model: bytes, threads: int = 1):
    """An ONNX Runtime session of an int8 model on the CPU, one thread, as every evaluation runs."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def int8_predictor(model: bytes):
    """A function from images to the int8 model's logits in ONNX Runtime (one thread)."""
    session = int8_session(model)
    return lambda x: session.run(["logits"], {"x": np.ascontiguousarray(x, dtype=np.float32)})[0]
