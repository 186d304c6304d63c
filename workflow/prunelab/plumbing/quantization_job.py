"""What a quantization job's script does around its quantization: load the model to quantize
(pruned, fine-tuned or the trained one), evaluate the quantized model and the float one on the
test set, and write the row of quantized.csv."""

from __future__ import annotations

from ..data.loading import features
from ..measuring.evaluation import classification_metrics, predict
from ..models.network import Network
from ..models.pruned_file import load_pruned
from ..results.records import identity
from .jobs import PruningJob


class QuantizationJob(PruningJob):
    """One quantization of a pruned model (``pruned``, as its prune job stored it), a fine-tuned
    one (``finetuned``, its weights) or the trained model itself (neither)."""

    def __init__(self, snakemake):
        super().__init__(snakemake)
        if "pruned" in self.input.keys():
            self.pruned = load_pruned(self.input.pruned, self.network)
        elif "finetuned" in self.input.keys():
            self.pruned = Network.load(self.input.finetuned, self.spec["architecture"])
        else:
            self.pruned = self.network
        self.quantizer = snakemake.wildcards.quantizer
        self.settings = dict(snakemake.params.settings)

    def quantized_record(self, quantized) -> dict:
        """The row of quantized.csv: the pruned model's identity, the quantized model's test
        metrics beside the float model's, and the sizes."""
        images, labels = self.split("test")
        x = features(self.spec["architecture"], images)
        before = classification_metrics(predict(self.pruned, x), labels)
        finetune = self.snakemake.params.finetune
        row = {**identity(self.trained, self.wildcards.scope, self.wildcards.get("method"),
                          float(self.wildcards.get("k", 0)), finetune or None),
               "quantization": self.quantizer, **classification_metrics(quantized.logits(x), labels),
               "float_accuracy": before["accuracy"], "float_loss": before["loss"], **quantized.sizes,
               "file_bytes": len(quantized.file), "settings": self.settings, **quantized.details}
        self.log.info("%s of %s k=%s: accuracy %.4f (float %.4f), a file of %d bytes", self.quantizer,
                      row["method"], row["k"], row["accuracy"], row["float_accuracy"], row["file_bytes"])
        return row
