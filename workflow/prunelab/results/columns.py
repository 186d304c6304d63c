"""The columns of the result tables, in the one place they are defined."""

IDENTITY = ["dataset", "model", "regularizer", "strength", "train_id", "seed", "layers", "method", "k",
            "finetune_epochs", "finetune_rounds", "finetune_learning_rate"]
"""Which pruned model a row is about."""
METRIC_COLUMNS = IDENTITY + ["accuracy", "loss", "correct", "total", "sparsity", "nonzero_params",
                             "prunable_params", "total_params", "compression_ratio", "flops", "dense_flops",
                             "theoretical_speedup", "compact_params", "compact_flops", "size_bytes",
                             "dense_size_bytes", "weights_changed"]
"""The columns of metrics.csv, in order (``weights_changed``: surviving weights differ from the
trained model's, retrained or updated by the method, not only masked)."""
PRUNED_MODEL = [c for c in IDENTITY if not c.startswith("finetune_")]
"""Identity of a one-shot pruned model: the key of latency.csv (fine-tuning keeps the structure)."""
RETRAINING = ["finetune_epochs", "finetune_rounds"]
"""How a pruned model was retrained: epochs (0 = one-shot) and the prune-retrain rounds they took."""
LATENCY_COLUMNS = PRUNED_MODEL + ["runtime", "form", "batch_size", "median_ms", "q1_ms", "q3_ms", "repeats"]
"""The columns of latency.csv: one row per one-shot pruned model, runtime, form and batch size."""
