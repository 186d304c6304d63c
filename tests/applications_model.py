"""The convolutional networks people use, as a researcher's build function (custom_models):
keras.applications' own, untrained, built for the dataset's images and classes."""

import keras


def mobilenet_v2(input_shape, num_classes):
    """MobileNetV2 at width 0.35 (depthwise convolutions, ReLU6, inverted residual blocks)."""
    return keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=input_shape, classes=num_classes)
