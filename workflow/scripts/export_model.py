"""Write one pruned model compacted and in its best format (see prunelab.measuring.export)."""

from prunelab.measuring import export
from prunelab.measuring.compaction import compact
from pathlib import Path

from prunelab.methods.pruning import prune
from prunelab.models.backend import import_jax_keras
from prunelab.methods.scope import pruned_layers
from prunelab.models.network import Network
from prunelab.plumbing.fileio import read_json
from prunelab.plumbing.jobs import redone_methods
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])
if snakemake.params.method is not None:
    entry = {"method": snakemake.params.method, "settings": snakemake.params.settings}
    [(method, data)] = redone_methods([entry], trained, Path(snakemake.input.data).parent)
    network, _ = prune(network, method, snakemake.params.k, pruned_layers(network, snakemake.params.selection),
                       seed=trained["seed"], data=data)
compacted = compact(network)
size = export.save(compacted, snakemake.output.npz)
log.info("wrote %s: %d bytes, layer widths %s", snakemake.output.npz, size, [k.shape[-1] for k in compacted.kernels])
import_jax_keras(1)  # a .keras file loads on any backend; JAX's keeps TensorFlow out of this numpy job
export.save_keras(compacted, snakemake.output.keras)
