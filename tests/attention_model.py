"""A researcher's own attention model for the tests: 4x4 patches embedded by a strided convolution,
one pre-norm transformer block (self-attention with 2 heads, a GELU MLP) with residual sums, a
final layer norm, average pooling over the tokens and a softmax classifier; core Keras layers
only (build(input_shape, num_classes), as custom_models asks)."""

import keras


def build(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(32, 4, strides=4, name="embed")(inputs)
    tokens = keras.layers.Reshape((-1, 32))(x)
    y = keras.layers.LayerNormalization(epsilon=1e-6)(tokens)
    y = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16, name="attention")(y, y)
    tokens = keras.layers.Add()([tokens, y])
    y = keras.layers.LayerNormalization(epsilon=1e-6)(tokens)
    y = keras.layers.Dense(32, activation="gelu", name="fc2")(keras.layers.Dense(64, activation="gelu", name="fc1")(y))
    tokens = keras.layers.Add()([tokens, y])
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.LayerNormalization(epsilon=1e-6)(tokens))
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax", name="classes")(x))
