"""A pruned model in a deployment runtime: an ONNX graph of a :class:`Network`, run by ONNX
Runtime on one thread.

The graph computes what :func:`prunelab.models.network.logits` computes (pre-softmax outputs):
dense layers as MatMul + Add, convolutions as Conv on NCHW (Keras's NHWC input transposed
once, and back before flattening, so the flattened order is Keras's), ReLU between layers,
2x2 max-pooling where the architecture says. ONNX Runtime multiplies dense kernels, so only
the compacted model is faster there; its CPU kernels do not use the zeros of a masked model.
"""

from __future__ import annotations

import numpy as np

from ..models.network import Network, pools_of

OPSET = 17
IR_VERSION = 8  # the ONNX file format of opset 17, readable by every ONNX Runtime since 1.11


def to_onnx(network: Network) -> bytes:
    """The serialized ONNX model of ``network``: input ``x`` (batch first), output ``logits``."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, weights = [], []
    current, conv_layout = "x", False

    def constant(name: str, array: np.ndarray) -> str:
        weights.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def node(op: str, inputs: list[str], **attributes) -> str:
        nonlocal current
        output = f"{op.lower()}{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        current = output
        return output

    pools, last = pools_of(network), network.num_layers - 1
    for index, kernel in enumerate(network.kernels):
        bias = network.biases[index] if network.biases is not None else np.zeros(kernel.shape[-1], np.float32)
        if network.is_conv(index):
            if not conv_layout:
                node("Transpose", [current], perm=[0, 3, 1, 2])  # NHWC -> NCHW
                conv_layout = True
            node("Conv", [current, constant(f"W{index}", kernel.transpose(3, 2, 0, 1)), constant(f"b{index}", bias)])
        else:
            if conv_layout:
                node("Transpose", [current], perm=[0, 2, 3, 1])  # back to NHWC: Keras's flattening order
                node("Flatten", [current], axis=1)
                conv_layout = False
            node("MatMul", [current, constant(f"W{index}", kernel)])
            node("Add", [current, constant(f"b{index}", bias)])
        if index < last:
            node("Relu", [current])
            if pools[index]:
                node("MaxPool", [current], kernel_shape=[2, 2], strides=[2, 2])
    nodes[-1].output[0] = "logits"
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", *network.input_shape])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", network.kernels[-1].shape[-1]])]
    graph = helper.make_graph(nodes, "pruned", inputs, outputs, initializer=weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="prunelab",
                              ir_version=IR_VERSION)
    return model.SerializeToString()


def session(network: Network, threads: int = 1):
    """An ONNX Runtime session of ``network`` on the CPU, with ``threads`` threads and all
    graph optimizations; call :func:`run` with it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(to_onnx(network), options, providers=["CPUExecutionProvider"])


def run(onnx_session, x: np.ndarray) -> np.ndarray:
    """The logits of ``x`` (float32, as :func:`prunelab.data.loading.features` gives it)."""
    return onnx_session.run(["logits"], {"x": np.ascontiguousarray(x, dtype=np.float32)})[0]
