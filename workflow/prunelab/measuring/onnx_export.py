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

from ..models.graph import same_padding, sliding, zero_padding
from ..models.graph_network import GraphNetwork
from ..models.network import Network, pools_of

OPSET = 17
IR_VERSION = 8  # the ONNX file format of opset 17, readable by every ONNX Runtime since 1.11


def to_onnx(network: Network | GraphNetwork) -> bytes:
    """The serialized ONNX model of ``network``: input ``x`` (batch first), output ``logits``."""
    if isinstance(network, GraphNetwork):
        return graph_to_onnx(network)
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


def graph_to_onnx(network: GraphNetwork) -> bytes:
    """A graph model's ONNX model, layer by layer: image tensors in NCHW (the NHWC input
    transposed once, and back before a Flatten, so the flattened order is Keras's), 'same'
    padding as explicit pads (TensorFlow's, the odd pixel after), batch norm in inference mode,
    the final softmax left out (logits)."""
    from onnx import TensorProto, helper, numpy_helper

    graph, weights, shapes = network.graph, network.weights, network.graph.shapes
    nodes, initializers, names = [], [], {}

    def constant(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def add(op: str, inputs: list[str], output: str, **attributes) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def window(node):
        window_shape, strides, padding = sliding(node)
        pads = [0, 0, 0, 0]
        if padding == "same":
            (top, bottom), (left, right) = same_padding(shapes[node.inputs[0]][:2], window_shape, strides)
            pads = [top, left, bottom, right]
        return {"kernel_shape": list(window_shape), "strides": list(strides), "pads": pads}

    for node in graph.nodes:
        out, arrays, config = node.name, weights.get(node.name, {}), node.config
        if not node.inputs:
            names[out] = add("Transpose", ["x"], out, perm=[0, 3, 1, 2]) if len(shapes[out]) == 3 else "x"
            continue
        source = names[node.inputs[0]]
        final = node.name == graph.output
        if node.op in ("Conv2D", "DepthwiseConv2D"):  # ONNX's (out, in per group, height, width)
            depthwise = node.op == "DepthwiseConv2D"  # a grouped convolution, one group per channel
            kernel = arrays["kernel"].transpose((2, 3, 0, 1) if depthwise else (3, 2, 0, 1))
            bias = arrays.get("bias", np.zeros(kernel.shape[0], np.float32))
            attributes = window(node)
            attributes.pop("kernel_shape")
            if depthwise:
                attributes["group"] = int(kernel.shape[0])
            out = add("Conv", [source, constant(f"{out}/kernel", kernel), constant(f"{out}/bias", bias)], out,
                      **attributes)
        elif node.op == "Dense":
            out = add("MatMul", [source, constant(f"{out}/kernel", arrays["kernel"])], f"{out}/matmul")
            if arrays.get("bias") is not None:
                out = add("Add", [out, constant(f"{node.name}/bias", arrays["bias"])], f"{node.name}/add")
        elif node.op == "BatchNormalization":
            channels = arrays["moving_mean"].shape[0]
            scale = arrays.get("gamma", np.ones(channels, np.float32))
            shift = arrays.get("beta", np.zeros(channels, np.float32))
            out = add("BatchNormalization", [source, constant(f"{out}/gamma", scale), constant(f"{out}/beta", shift),
                                             constant(f"{out}/mean", arrays["moving_mean"]),
                                             constant(f"{out}/variance", arrays["moving_variance"])], out,
                      epsilon=float(config.get("epsilon", 1e-3)))
        elif node.op in ("MaxPooling2D", "AveragePooling2D"):
            out = add("MaxPool" if node.op == "MaxPooling2D" else "AveragePool", [source], out,
                      **window(node))
        elif node.op == "GlobalAveragePooling2D":
            out = add("GlobalAveragePool", [source], f"{out}/pooled")
            if not config.get("keepdims"):
                out = add("Flatten", [out], node.name, axis=1)
        elif node.op == "Flatten":
            if len(shapes[node.inputs[0]]) == 3:
                source = add("Transpose", [source], f"{out}/nhwc", perm=[0, 2, 3, 1])
            out = add("Flatten", [source], out, axis=1)
        elif node.op == "ZeroPadding2D":  # NCHW: pads are (begin of each axis, end of each axis)
            (top, bottom), (left, right) = zero_padding(node)
            pads = numpy_helper.from_array(np.array([0, 0, top, left, 0, 0, bottom, right], np.int64), f"{out}/pads")
            initializers.append(pads)
            out = add("Pad", [source, pads.name], out)
        elif node.op == "Add":
            out = add("Sum", [names[source] for source in node.inputs], out)
        elif node.op == "ReLU" and config.get("max_value") is not None:  # ReLU6 and the like
            bounds = [numpy_helper.from_array(np.array(value, np.float32), f"{out}/{end}")  # scalars
                      for end, value in (("min", 0.0), ("max", config["max_value"]))]
            initializers.extend(bounds)
            out = add("Clip", [source, *(bound.name for bound in bounds)], out)
        elif node.op == "ReLU":
            out = add("Relu", [source], out)
        else:  # Activation, Dropout: only the activation, if any
            out = source
        activation = (config.get("activation", "linear") if node.op in ("Dense", "Conv2D", "DepthwiseConv2D", "Activation")
                      else "linear")
        if activation == "silu":  # x · sigmoid(x)
            out = add("Mul", [out, add("Sigmoid", [out], f"{node.name}/sigmoid")], f"{node.name}/silu")
        elif activation in ("hard_sigmoid", "hard_silu"):  # Keras's slope 1/6 and offset 1/2 are ONNX's
            op = "HardSigmoid" if activation == "hard_sigmoid" else "HardSwish"
            out = add(op, [out], f"{node.name}/{activation}", **({"alpha": 1 / 6} if op == "HardSigmoid" else {}))
        elif activation != "linear" and not (final and activation == "softmax"):
            op = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax"}[activation]
            out = add(op, [out], f"{node.name}/{activation}", **({"axis": -1} if op == "Softmax" else {}))
        names[node.name] = out
    nodes.append(helper.make_node("Identity", [names[graph.output]], ["logits"]))
    classes = shapes[graph.output][-1]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", *graph.input_shape])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])]
    model = helper.make_model(helper.make_graph(nodes, "pruned", inputs, outputs, initializer=initializers),
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
