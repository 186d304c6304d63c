"""A researcher's own architecture for the tests: a small residual CNN with batch norm whose
last feature map is flattened into a dense layer (build(input_shape, num_classes), as
custom_models asks)."""

import keras


def build(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    y = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(x)
    y = keras.layers.BatchNormalization()(y)
    x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.2)(keras.layers.Dense(32, activation="relu")(x))
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def build_with_an_unsupported_layer(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(keras.layers.UpSampling2D(name="up")(inputs))
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def build_nothing(input_shape, num_classes):
    return None


def build_logits(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(keras.layers.Flatten()(inputs)))
