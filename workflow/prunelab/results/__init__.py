"""From result records to what a reader sees: the metrics table, per-model tables, findings,
figures and the report. Nothing here imports a method's or training code: summaries rerun
only when results (or this code) change."""
