"""Quantize one pruned (fine-tuned, or the trained) model and evaluate it on the test set."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.data.loading import calibration_images, features, split_train_validation
from prunelab.plumbing.fileio import atomic_output, write_json
from prunelab.plumbing.quantization_job import QuantizationJob
from prunelab.quantizing.quantizers import QUANTIZERS

job = QuantizationJob(snakemake)
images, labels = job.split("train")
(x, y), _ = split_train_validation(features(job.spec["architecture"], images), labels, job.spec["validation_size"],
                                   job.spec["train_size"])
quantized = QUANTIZERS[job.quantizer](
    job.pruned, settings=job.settings, images=x, labels=y,
    calibration=calibration_images(images, job.spec, job.settings["calibration_images"])
    if "calibration_images" in job.settings else None, seed=job.seed, log=job.log)
with atomic_output(snakemake.output.model, "wb") as handle:
    handle.write(quantized.file)
write_json(snakemake.output.metrics, job.quantized_record(quantized))
