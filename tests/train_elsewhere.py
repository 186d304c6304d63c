"""A model trained outside the workflow, as a researcher would train one: plain Keras (no
prunelab) on Fashion-MNIST's IDX files, saved with ``model.save``. Prints the saved model's
test accuracy and loss as JSON, for the test that prunes it through the workflow to compare.

    python tests/train_elsewhere.py results/data/fashion model.keras
    python tests/train_elsewhere.py --untrained model.keras
"""

import json
import sys
from pathlib import Path

import numpy as np
import keras


def idx(path: Path, offset: int) -> np.ndarray:
    return np.frombuffer(path.read_bytes(), dtype=np.uint8, offset=offset)


def split(directory: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Images as the workflow feeds them: (N, 28, 28, 1) float32, pixel / 255."""
    images = idx(directory / f"{prefix}-images-idx3-ubyte", 16).reshape(-1, 28, 28, 1).astype("float32") / 255
    return images, idx(directory / f"{prefix}-labels-idx1-ubyte", 8)


def build() -> keras.Model:
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, padding="same", use_bias=False, name="conv"),
        keras.layers.BatchNormalization(name="conv_bn"),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu", name="conv2"),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu", name="hidden"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax", name="classes"),
    ])


def main(data: str, output: str) -> None:
    keras.utils.set_random_seed(7)
    (x_train, y_train), (x_test, y_test) = split(Path(data), "train"), split(Path(data), "t10k")
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[10_000:16_000], y_train[10_000:16_000], batch_size=64, epochs=2, verbose=0)
    model.save(output)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(json.dumps({"accuracy": accuracy, "loss": loss}))


if __name__ == "__main__":
    if sys.argv[1] == "--untrained":  # the same model untrained, for a dry run of the workflow
        build().save(sys.argv[2])
    else:
        main(*sys.argv[1:])
