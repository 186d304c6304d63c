"""The built-in methods' modules, in the order tables and legends show them. Adding a method
is writing its module and naming it here (docs/development.md)."""

MODULES = ("weight", "unit", "global_weight", "random", "magnitude_gradient", "global_magnitude_gradient", "n_of_m",
           "wanda", "wanda_n_of_m", "sparsegpt", "sparsegpt_n_of_m", "unit_refit",
           "snip", "synflow", "gradual", "lottery", "scratch")
