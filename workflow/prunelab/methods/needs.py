"""What a mask function can ask for, by naming it as a parameter after ``(weights, k, seed)``.

The same for built-in methods and a researcher's own. Values that take data or code to
compute (gradients, calibration inputs) come from a provider module that a job imports only
when its method asks, and that is part of that method's code version alone: an edit to how
gradients are computed reruns only the results of methods that use them.
"""

from __future__ import annotations

from dataclasses import dataclass

ORDER_ARGUMENTS = ("weights", "k", "seed")
"""What every mask function takes first: the pruned layers' kernels, the fraction to remove,
the trained model's seed."""


@dataclass(frozen=True)
class Need:
    description: str
    provider: str | None = None
    """``module:function`` computing it, imported only when a method asks for it."""


NEEDS = {
    "gradients": Need(
        "∂L/∂w of each pruned kernel (float64, in the order of weights): the mean cross-entropy of the "
        "unpruned network over `samples` training images drawn at random, seeded by the model's seed "
        "(pruning.saliency.samples unless the method's settings say otherwise; never validation or test "
        "images)", "prunelab.models.gradients:loss_gradients"),
    "inputs": Need(
        "each pruned layer's inputs over the calibration images (pruning.calibration.images, the first "
        "training images after the validation ones), one LayerInputs per pruned layer: rows of the layer's "
        "input, a conv layer's im2col patches, in the order of the kernel's rows (np.asarray gives the "
        "matrix, .gram() XᵀX in float64 accumulated in batches). A method that asks for them prunes the "
        "layers one at a time, in order, each layer's inputs computed through the layers already pruned",
        "prunelab.models.calibration:layer_inputs"),
    "calibration": Need(
        "the calibration images as the network's inputs (what `inputs` are computed from), for a method "
        "that computes more than each pruned layer's own inputs (the layer after it, say)"),
    "groups": Need(
        "the channels that go together among the pruned layers, one prunelab.models.channel_groups.ChannelGroup "
        "each: how many channels, which pruned layers produce them (positions in weights) and the per-channel "
        "arrays of the batch norms over them; the model's dependency groups (computed once per graph: in an "
        "MLP each pruned layer's own units). A method that asks for them returns, instead of masks, one boolean "
        "array per group (True: the channel stays); a removed channel goes from every producer, with its "
        "biases and batch-norm parameters", "prunelab.models.channel_groups:channel_groups"),
    "network": Need("the whole network as pruned so far (a prunelab.models.network.Network: kernels, biases, "
                    "architecture, graph and weights)"),
    "layers": Need("the indices of the pruned layers in network, in the order of weights"),
    "settings": Need("the method's own settings from the config (a dict)"),
}

TRAINING_IMAGE_NEEDS = {"gradients", "inputs", "calibration"}
"""The needs computed from training images: a job of a method with any of them reads the training split."""
