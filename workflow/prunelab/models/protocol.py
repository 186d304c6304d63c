"""How a network is trained, as the papers train it: the optimizer (Adam, or SGD with momentum
and Nesterov's variant), weight decay, the learning rate's schedule (constant, steps at
milestones, cosine, Caffe's ``inv``) after an optional linear warm-up, and which epoch's weights
it keeps (``keep``: lowest validation loss, highest validation accuracy, or the last).

The protocol is a few config keys (``training.*`` and ``finetune.*``); at their defaults — Adam,
a constant rate, no decay — a run trains exactly as it did before the keys existed (the same
optimizer object, the same bits), and the keys stay out of its id.
"""

from __future__ import annotations

import math

DEFAULTS = {"optimizer": "adam", "momentum": 0.0, "nesterov": False, "weight_decay": 0.0, "schedule": "constant",
            "warmup_epochs": 0, "keep": "val_loss"}
"""The protocol's keys at the values that train as before they existed."""
SCHEDULE_KEYS = {"constant": (), "step": ("milestones", "gamma"), "cosine": (), "inv": ("gamma", "power")}
"""Each schedule's own settings (none has a default: a schedule's are given with it, or not at all)."""
KEYS = (*DEFAULTS, "milestones", "gamma", "power")


def protocol(settings: dict) -> dict:
    """The whole protocol in ``settings`` (a config section or a training spec), defaults filled in."""
    return {**DEFAULTS, **{key: settings[key] for key in KEYS if key in settings}}


def changed_protocol(settings: dict) -> dict:
    """The protocol's keys of a config section that differ from their defaults: those that name,
    and version, the results trained with them."""
    return {key: settings[key] for key in KEYS
            if key in settings and not (key in DEFAULTS and settings[key] == DEFAULTS[key])}


def learning_rate(protocol: dict, base: float, step: int, steps_per_epoch: int, epochs: int) -> float:
    """The learning rate of optimizer step ``step`` (from 0): the schedule's, times the warm-up's
    linear ramp over its first ``warmup_epochs``."""
    epoch, total = step // steps_per_epoch, steps_per_epoch * epochs
    schedule = protocol["schedule"]
    if schedule == "step":
        factor = protocol["gamma"] ** sum(epoch >= milestone for milestone in protocol["milestones"])
    elif schedule == "cosine":
        factor = 0.5 * (1 + math.cos(math.pi * step / total))
    elif schedule == "inv":
        factor = (1 + protocol["gamma"] * step) ** -protocol["power"]
    else:
        factor = 1.0
    warmup = protocol["warmup_epochs"] * steps_per_epoch
    return base * factor * (min(1.0, (step + 1) / warmup) if warmup else 1.0)


def optimizer(keras, protocol: dict, base: float, steps_per_epoch: int, epochs: int):
    """The Keras optimizer of a protocol. At the defaults, ``Adam(base)`` exactly as before."""
    rate = base
    if protocol["schedule"] != "constant" or protocol["warmup_epochs"]:
        rate = schedule(keras, protocol, base, steps_per_epoch, epochs)
    if protocol["optimizer"] == "sgd":
        return keras.optimizers.SGD(rate, momentum=protocol["momentum"], nesterov=protocol["nesterov"])
    return keras.optimizers.Adam(rate)


def schedule(keras, protocol: dict, base: float, steps_per_epoch: int, epochs: int):
    """:func:`learning_rate` as a Keras schedule (backend ops, so TensorFlow and JAX alike)."""
    ops = keras.ops

    class Schedule(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = ops.cast(step, "float32")
            epoch = ops.floor(step / steps_per_epoch)
            if protocol["schedule"] == "step":
                passed = sum(ops.cast(epoch >= milestone, "float32") for milestone in protocol["milestones"])
                factor = ops.power(float(protocol["gamma"]), passed)
            elif protocol["schedule"] == "cosine":
                factor = 0.5 * (1 + ops.cos(math.pi * step / (steps_per_epoch * epochs)))
            elif protocol["schedule"] == "inv":
                factor = ops.power(1 + float(protocol["gamma"]) * step, -float(protocol["power"]))
            else:
                factor = 1.0
            warmup = protocol["warmup_epochs"] * steps_per_epoch
            ramp = ops.minimum(1.0, (step + 1) / warmup) if warmup else 1.0
            return base * factor * ramp

        def get_config(self):
            return {"protocol": protocol, "base": base}

    return Schedule()


def decay_regularizer(keras, weight_decay: float, strength: dict | None = None):
    """The regularizer of one weight under weight decay: an L2 term whose gradient is
    ``weight_decay · w`` (Caffe's and PyTorch's coupled decay, into the momentum), on top of the
    layer's own L1 or L2 penalty (``strength``: ``{"l1": λ}`` or ``{"l2": λ}``) where it has one."""
    l1, l2 = (strength or {}).get("l1", 0.0), (strength or {}).get("l2", 0.0) + weight_decay / 2
    if l1 and l2:
        return keras.regularizers.L1L2(l1=l1, l2=l2)
    if l1:
        return keras.regularizers.L1(l1)
    return keras.regularizers.L2(l2) if l2 else None


def problems(settings: dict, epochs: list[int], key: str) -> list[str]:
    """What cannot work in the protocol ``settings`` of the config section ``key`` trained for
    each of ``epochs``: settings of another schedule, Adam with momentum, milestones out of
    order or beyond the epochs, a warm-up longer than the training."""
    found, given = [], set(settings)
    schedule_name = settings.get("schedule", DEFAULTS["schedule"])
    stray = sorted(given & {"milestones", "gamma", "power"} - set(SCHEDULE_KEYS[schedule_name]))
    if stray:
        found.append(f"{key}.{stray[0]}: a setting of another schedule, not of schedule {schedule_name!r} "
                     f"(whose settings are {', '.join(SCHEDULE_KEYS[schedule_name]) or 'none'})")
    missing = [name for name in SCHEDULE_KEYS[schedule_name] if name not in given]
    if missing:
        found.append(f"{key}.schedule: {schedule_name!r} needs {key}.{' and '.join(missing)}")
    if settings.get("optimizer", "adam") == "adam" and (settings.get("momentum", 0) or settings.get("nesterov")):
        found.append(f"{key}.momentum: Adam has no momentum setting (its betas are fixed); momentum and nesterov "
                     f"go with {key}.optimizer: sgd")
    milestones = settings.get("milestones") or []
    if "milestones" in given and schedule_name == "step":
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            found.append(f"{key}.milestones: {milestones} must increase")
        beyond = [m for m in milestones if any(m >= e for e in epochs)]
        if beyond:
            found.append(f"{key}.milestones: {beyond} not before the last epoch of {min(epochs)}")
    warmup = settings.get("warmup_epochs", 0)
    if any(warmup > e for e in epochs):
        found.append(f"{key}.warmup_epochs: {warmup} is longer than the training's {min(epochs)} epochs")
    return found
