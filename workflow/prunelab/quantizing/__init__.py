"""Quantization after pruning: what a pruned model costs once its weights are stored in fewer bits
(Deep Compression's weight sharing and Huffman coding; int8 in ONNX Runtime and LiteRT)."""

QUANTIZATIONS = ("kmeans", "int8", "litert")
"""The names ``quantization.methods`` may give, each a function of
:data:`prunelab.quantizing.quantizers.QUANTIZERS`; here apart, so that checking a config does not
make the config's code depend on how models are quantized."""
TIMED_QUANTIZATIONS = ("int8", "litert")
"""The quantizations whose files run in a deployment runtime: the latency job times them beside the
float models (kmeans's weight-shared model computes in float32 like the pruned one)."""
CALIBRATION_BATCH = 64
"""Calibration images per forward pass when a quantizer measures activation ranges."""


def calibration_batches(images):
    """``images`` in batches of :data:`CALIBRATION_BATCH`, as the quantizers' calibration reads them."""
    return (images[start:start + CALIBRATION_BATCH] for start in range(0, len(images), CALIBRATION_BATCH))
