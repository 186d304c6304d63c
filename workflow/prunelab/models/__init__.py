"""Networks: the numpy network and its exact forward pass and gradients, Keras models, and
training (dense, and with masks held fixed)."""
