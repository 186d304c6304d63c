"""``gradual``: Zhu & Gupta (2017)'s gradual magnitude pruning while training from the trained
model, the sparsity rising on a cubic schedule; judged against one-shot ``weight`` pruning
fine-tuned as many epochs (its paper's comparison)."""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np

from ..models.network import Network
from ..plumbing.paths import SCOPED, digest, format_number
from .method import Control, Method, Trained
from .selection import exact_fraction, magnitude_mask


def gradual_schedule(k: float, *, total_steps: int, initial_sparsity: float, begin_step: int, end_step: int,
                     frequency: int, power: int) -> dict[int, Fraction]:
    """Zhu & Gupta's schedule as the steps at which masks are recomputed, with the sparsity each
    sets: s_t = s_f + (s_i - s_f)(1 - (t - t0)/(t1 - t0))^power at t = t0, t0 + Δt, ... up to
    t1, exactly (rational arithmetic). The last update always falls on ``end_step``, so the
    final sparsity is k even when t1 - t0 is not a multiple of Δt (TF Model Optimization's
    PolynomialDecay would then stop short of it). Steps count from 0, one per batch."""
    if not 0 <= begin_step <= end_step < total_steps:
        raise ValueError(f"gradual schedule from step {begin_step} to {end_step} does not fit in "
                         f"{total_steps} training steps (0..{total_steps - 1})")
    final, initial = exact_fraction(k), exact_fraction(initial_sparsity)
    span = end_step - begin_step
    steps = [*range(begin_step, end_step, frequency), end_step]
    progress = {step: Fraction(step - begin_step, span) if span else Fraction(1) for step in steps}
    return {step: final + (initial - final) * (1 - progress[step]) ** power for step in steps}


def schedule_settings(config: dict) -> dict:
    """Everything a gradual pruning job's result depends on besides the trained model and k:
    its schedule (end_step resolved: by default the first step of the last epoch, or the last
    step of a single epoch) and fine-tuning's learning rate and batch size."""
    from ..models.protocol import changed_protocol
    from ..models.training import steps_per_epoch
    from ..plumbing.config import epoch_images

    gradual, finetune = config["pruning"]["gradual"], config["finetune"]
    images, why = epoch_images(config)
    if images is None:  # a config the check refuses (schedule_problems)
        raise ValueError(f"pruning.gradual: {why}")
    per_epoch = steps_per_epoch(images, finetune["batch_size"])
    end_step = gradual["end_step"]
    if end_step is None:
        end_step = (gradual["epochs"] - 1) * per_epoch if gradual["epochs"] > 1 else per_epoch - 1
    protocol = changed_protocol(finetune)  # present only when not Adam at a constant rate
    return {**gradual, "end_step": end_step, "total_steps": gradual["epochs"] * per_epoch,
            "learning_rate": finetune["learning_rate"], "batch_size": finetune["batch_size"],
            **({"protocol": protocol} if protocol else {})}


def result_id(settings: dict) -> str:
    """'gr3-lr0.0001-b128-1a2b3c4d': epochs, optimizer settings and a digest of the whole schedule."""
    return (f"gr{settings['epochs']}-lr{format_number(settings['learning_rate'])}-b{settings['batch_size']}-"
            f"{digest(settings)}")


def result(config: dict) -> str:
    return f"results/gradual/{SCOPED}/k{{k}}/{result_id(schedule_settings(config))}"


def schedule_problems(config: dict) -> list[str]:
    from ..plumbing.config import epoch_images

    _, why = epoch_images(config)
    if why:
        return [f"pruning.gradual: its schedule counts optimizer steps, and {why}; set training.train_size to "
                "give every dataset one, or run them in separate configs"]
    settings = schedule_settings(config)
    if settings["begin_step"] <= settings["end_step"] < settings["total_steps"]:
        return []
    return [f"pruning.gradual.end_step: the schedule from begin_step {settings['begin_step']} to end_step "
            f"{settings['end_step']} must end within its {settings['total_steps']} training steps "
            f"(0..{settings['total_steps'] - 1}: {settings['epochs']} epochs of "
            f"{settings['total_steps'] // settings['epochs']})"]


def gradual_prune(images: np.ndarray, labels: np.ndarray, *, spec: dict, seed: int, log: logging.Logger,
                  network: Network, k: float, layers: list[int], settings: dict) -> tuple[Network, list, list[dict]]:
    """Training from ``network``, every pruned layer's mask recomputed from its current |w| at
    each step of :func:`gradual_schedule` at that step's sparsity, and pruned weights held at
    zero between updates. Only epochs that end at the final sparsity can be kept."""
    from ..models.backend import import_keras, recompile, synchronize
    from ..models.keras_models import prunable_layers
    from ..models.masked_training import check_masks_held
    from ..models.training import fit

    keras = import_keras(spec)
    per_epoch = settings["total_steps"] // settings["epochs"]  # counted for the config's datasets
    schedule = gradual_schedule(k, total_steps=per_epoch * settings["epochs"],
                                initial_sparsity=settings["initial_sparsity"], begin_step=settings["begin_step"],
                                end_step=settings["end_step"], frequency=settings["frequency"],
                                power=settings["power"])
    variables = [keras.Variable(np.ones(kernel.shape, np.float32), trainable=False) if index in layers else None
                 for index, kernel in enumerate(network.kernels)]

    class GradualPruning(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            sparsity = schedule.get(self.epoch * per_epoch + batch)
            if sparsity is None:
                return
            synchronize(self.model)
            weighted = prunable_layers(self.model)
            for index in layers:
                kernel = weighted[index].kernel.numpy()
                keep = magnitude_mask(kernel, sparsity)
                variables[index].assign(keep.astype(np.float32))
                weighted[index].kernel.assign(np.where(keep, kernel, np.float32(0)))
            recompile(self.model)

    log.info("gradual pruning to k=%g: %d mask updates from step %d to %d (%d steps per epoch)", k, len(schedule),
             settings["begin_step"], settings["end_step"], per_epoch)
    trained, history = fit(images, labels, spec=spec, seed=seed, log=log, epochs=settings["epochs"],
                           learning_rate=settings["learning_rate"], batch_size=settings["batch_size"],
                           protocol=settings.get("protocol", {}), initial=network, kernel_masks=variables,
                           callbacks=[GradualPruning()],
                           first_eligible_epoch=settings["end_step"] // per_epoch)
    masks = [None if v is None else v.numpy().astype(bool) for v in variables]
    check_masks_held(trained, masks)
    return trained, masks, history


def train(job) -> Trained:
    images, labels = job.split("train")
    network, masks, history = gradual_prune(images, labels, **job.fit_arguments, network=job.network, k=job.k,
                                            layers=job.layers, settings=job.settings)
    retraining = {"epochs": job.settings["epochs"], "rounds": 1, "learning_rate": job.settings["learning_rate"]}
    return Trained(network, masks, history, job.k, retraining=retraining, details={"schedule": job.settings})


METHODS = (Method("gradual", "per-layer magnitude pruning while training, sparsity rising on a cubic schedule",
                  runs="while_training", resolve_settings=schedule_settings, check=schedule_problems, train=train,
                  rule="gradual", result=result, targets=lambda config, settings: [
                      {"k": format_number(k)} for k in config["pruning"]["k"]],
                  zero_k_trains=True, color="#2ca02c",
                  control=Control("weight", "one-shot pruning fine-tuned as many epochs", retraining="same"),
                  paper="Zhu & Gupta 2017, To prune, or not to prune"),)
