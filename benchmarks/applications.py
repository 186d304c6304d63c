"""keras.applications' networks through the graph engine: read, unit-pruned by channel groups, compacted.

    PYTHONPATH=workflow python benchmarks/applications.py

For ResNet50, MobileNetV2 (alpha 0.35), DenseNet121 and EfficientNetB0, untrained (``weights=None``), built for 32x32x3
images and 10 classes: the layers, parameters and dependency groups the graph engine reads; the
largest difference between its numpy forward pass and Keras's on 8 random images; unit at k = 0.5
on every layer but the output, timed three times (the median; weights only: no evaluation, no
file); the parameters after compaction; the bytes of the saved ``.keras`` before and after; the
largest difference between the compacted Keras model's and the masked model's predictions. One
process, TensorFlow on one thread; run it with nothing else running. Writes
benchmarks/applications.json and benchmarks/applications.md.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent
K, REPEATS = 0.5, 3
NETWORKS = {"ResNet50": {}, "MobileNetV2": {"alpha": 0.35}, "DenseNet121": {}, "EfficientNetB0": {}}


def measure(keras, name: str, options: dict, folder: Path) -> dict:
    from prunelab.measuring.channel_compaction import compact_channels, parameter_count
    from prunelab.methods.pruning import load_method, prune
    from prunelab.models.graph import run
    from prunelab.models.network import Network
    from prunelab.models.keras_models import graph_of, model_of_graph

    model = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3), classes=10, **options)
    graph, weights = graph_of(model)
    x = np.random.default_rng(0).uniform(size=(8, 32, 32, 3)).astype(np.float32)
    forward_difference = float(np.abs(run(graph, weights, x, logits=False) - model.predict(x, verbose=0)).max())
    network = Network({"type": "custom"}, graph, weights)
    unit = load_method({"name": "unit", "source": "prunelab.methods.unit", "runs": "one_shot"})
    layers = list(range(network.num_layers - 1))
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        pruned, _ = prune(network, unit, K, layers)
        seconds.append(time.perf_counter() - start)
    small = compact_channels(graph, pruned.weights)
    compacted = model_of_graph(keras, graph, small)
    model.save(folder / f"{name}.keras")
    compacted.save(folder / f"{name}-unit.keras")
    compact_difference = float(np.abs(compacted.predict(x, verbose=0) - run(graph, pruned.weights, x, logits=False)).max())
    return {"network": name, "options": options, "layers": len(graph.nodes), "parameters": parameter_count(weights),
            "groups": len(graph.groups), "forward_max_difference": forward_difference,
            "prune_seconds": seconds, "prune_median_s": statistics.median(seconds),
            "compacted_parameters": parameter_count(small), "keras_bytes": (folder / f"{name}.keras").stat().st_size,
            "compacted_keras_bytes": (folder / f"{name}-unit.keras").stat().st_size,
            "compacted_max_difference": compact_difference}


def main() -> None:
    from prunelab.models.backend import import_tensorflow
    from prunelab.plumbing.runtime import environment_record

    keras = import_tensorflow(1, False).keras
    with tempfile.TemporaryDirectory() as folder:
        rows = [measure(keras, name, options, Path(folder)) for name, options in NETWORKS.items()]
    record = {"date": time.strftime("%Y-%m-%d"), "k": K, "environment": environment_record(("tensorflow", "keras")),
              "networks": rows}
    (OUT / "applications.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [f"# keras.applications through the graph engine ({record['date']})", "",
             "`PYTHONPATH=workflow python benchmarks/applications.py`: each network untrained, built for 32x32x3 "
             f"images and 10 classes; unit at k = {K} on every layer but the output ({REPEATS} runs, weights only), "
             f"compacted and saved. Processor: {record['environment']['processor']}.", "",
             "| network | layers | parameters | groups | numpy vs Keras (max) | unit prune, median s | parameters "
             "compacted | .keras bytes | compacted bytes | compacted vs masked (max) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        name = row["network"] + "".join(f" ({key} {value})" for key, value in row["options"].items())
        lines.append(f"| {name} | {row['layers']} | {row['parameters']:,} | {row['groups']} | "
                     f"{row['forward_max_difference']:.1e} | {row['prune_median_s']:.3f} | "
                     f"{row['compacted_parameters']:,} | {row['keras_bytes']:,} | {row['compacted_keras_bytes']:,} | "
                     f"{row['compacted_max_difference']:.1e} |")
    (OUT / "applications.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
