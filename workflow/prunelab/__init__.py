"""prunelab: data, models, pruning, evaluation and plotting for the pruning workflow.

Modules that need TensorFlow (``models``, ``training``) import it lazily, so that
pruning, evaluation, aggregation and plotting jobs never pay for it.
"""
