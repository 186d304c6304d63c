"""prunelab: the pruning workflow's package, one subpackage per stage.

- ``data``: the datasets, their sources and checksums, reading them;
- ``models``: the numpy network and its forward pass, Keras models and training;
- ``methods``: the pruning methods, one module each, and what runs them;
- ``measuring``: test metrics, exact savings (FLOPs, sizes, compaction), latency;
- ``results``: result records, tables, figures, findings and the report;
- ``plumbing``: the config, the plan of jobs, jobs' common code, code versions, files.

Modules that need TensorFlow import it lazily, so that pruning, evaluation, aggregation
and plotting jobs never pay for it.
"""
