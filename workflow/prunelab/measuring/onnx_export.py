"""A pruned model in a deployment runtime: an ONNX graph of a :class:`Network`, run by ONNX
Runtime on one thread.

The graph computes what :meth:`prunelab.models.network.Network.logits` computes (pre-softmax
outputs), each layer by its layer type's own nodes. ONNX Runtime multiplies dense kernels, so
only the compacted model is faster there; its CPU kernels do not use the zeros of a masked model.
"""

from __future__ import annotations

import numpy as np

from ..models.layers import LAYER_TYPES
from ..models.layers.activations import activation_onnx
from ..models.network import Network

OPSET = 17
IR_VERSION = 8  # the ONNX file format of opset 17, readable by every ONNX Runtime since 1.11


class OnnxGraph:
    """The ONNX graph being built: its nodes and constants, and each layer's output shape (no
    batch axis, channels last, as :attr:`prunelab.models.graph.Graph.shapes` gives them); what
    a layer type's :meth:`~prunelab.models.layers.layer_type.LayerType.onnx` adds its nodes to."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]):
        from onnx import helper, numpy_helper

        self.shapes, self.nodes, self.initializers = shapes, [], []
        self._helper, self._numpy_helper = helper, numpy_helper

    def add(self, op: str, inputs: list[str], output: str, **attributes) -> str:
        """A node ``op`` reading ``inputs``; returns its output's name."""
        self.nodes.append(self._helper.make_node(op, inputs, [output], **attributes))
        return output

    def constant(self, name: str, array: np.ndarray) -> str:
        """A float32 constant (a kernel, a bias); returns its name."""
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def scalar(self, name: str, value: float) -> str:
        """A float32 scalar (a clip's bound); returns its name."""
        self.initializers.append(self._numpy_helper.from_array(np.array(value, np.float32), name))
        return name

    def per_channel(self, node, values) -> np.ndarray:
        """One number for every channel (or one for all) shaped to broadcast over the layer's
        output as ONNX holds it: (C, 1, 1) against an image in NCHW."""
        values = np.asarray(values, np.float32)
        return values.reshape(-1, 1, 1) if values.ndim == 1 and len(self.shapes[node.name]) == 3 else values

    def integers(self, name: str, values: list[int]) -> str:
        """An int64 vector (pads, a shape); returns its name."""
        self.initializers.append(self._numpy_helper.from_array(np.array(values, np.int64), name))
        return name


def to_onnx(network: Network) -> bytes:
    """The serialized ONNX model of ``network`` (input ``x``, batch first; output ``logits``), layer by layer (each layer type's own nodes, then its
    config's activation): image tensors in NCHW (the NHWC input transposed once, and back before
    a Flatten, so the flattened order is Keras's), 'same' padding as explicit pads (TensorFlow's,
    the odd pixel after), batch norm in inference mode, the final softmax left out (logits)."""
    from onnx import TensorProto, helper

    graph, weights = network.graph, network.weights
    onnx, names = OnnxGraph(graph.shapes), {}
    for node in graph.nodes:
        if not node.inputs:
            images = len(graph.shapes[node.name]) == 3
            names[node.name] = onnx.add("Transpose", ["x"], node.name, perm=[0, 3, 1, 2]) if images else "x"
            continue
        out = LAYER_TYPES[node.op].onnx(node, weights.get(node.name, {}), [names[s] for s in node.inputs], onnx)
        activation = node.config.get("activation", "linear")
        if not (node.name == graph.output and activation == "softmax"):
            out = activation_onnx(onnx, activation, out, node.name)
        names[node.name] = out
    onnx.add("Identity", [names[graph.output]], "logits")
    classes = graph.shapes[graph.output][-1]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", *graph.input_shape])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])]
    model = helper.make_model(helper.make_graph(onnx.nodes, "pruned", inputs, outputs, initializer=onnx.initializers),
                              opset_imports=[helper.make_opsetid("", OPSET)], producer_name="prunelab",
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
