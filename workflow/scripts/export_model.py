"""Write one pruned model compacted and in its best format (see prunelab.export)."""

from prunelab import export
from prunelab.compaction import compact
from prunelab.fileio import read_json
from prunelab.network import Network
from prunelab.pruning import prune, select_layers
from prunelab.runtime import script_logger

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])
if snakemake.params.method is not None:
    network, _ = prune(network, snakemake.params.method, snakemake.params.k,
                       select_layers(network, snakemake.params.layers), seed=trained["seed"])
compacted = compact(network)
size = export.save(compacted, snakemake.output[0])
log.info("wrote %s: %d bytes, layer widths %s", snakemake.output[0], size, [k.shape[-1] for k in compacted.kernels])
