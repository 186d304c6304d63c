"""Write one pruned model compacted and in its best format (see prunelab.measuring.export)."""

from prunelab.measuring import export
from prunelab.measuring.compaction import compact
from prunelab.methods.pruning import load_method, prune
from prunelab.methods.scope import pruned_layers
from prunelab.models.network import Network
from prunelab.plumbing.fileio import read_json
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])
if snakemake.params.method is not None:
    network, _ = prune(network, load_method(snakemake.params.method), snakemake.params.k,
                       pruned_layers(network, snakemake.params.selection), seed=trained["seed"])
compacted = compact(network)
size = export.save(compacted, snakemake.output[0])
log.info("wrote %s: %d bytes, layer widths %s", snakemake.output[0], size, [k.shape[-1] for k in compacted.kernels])
