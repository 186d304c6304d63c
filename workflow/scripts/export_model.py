"""Write one pruned model compacted and in its best format (see prunelab.measuring.export)."""

from prunelab.plumbing.warm import run_warm

run_warm()  # the rest runs in a fork of the run's warm interpreter, where one serves

from prunelab.measuring import export
from prunelab.measuring.compaction import compact
from prunelab.models.backend import import_keras_for_files
from prunelab.models.network import Network
from prunelab.models.pruned_file import load_pruned
from prunelab.plumbing.fileio import read_json
from prunelab.plumbing.runtime import script_logger

log = script_logger(snakemake.log[0])
trained = read_json(snakemake.input.record)
network = Network.load(snakemake.input.weights, trained["spec"]["architecture"])  # fine-tuned: already pruned
if "pruned" in snakemake.input.keys():  # a prune job's model, stored against the trained one
    network = load_pruned(snakemake.input.pruned, network)
compacted = compact(network)
size = export.save(compacted, snakemake.output.npz)
log.info("wrote %s: %d bytes, layer widths %s", snakemake.output.npz, size, [k.shape[-1] for k in compacted.kernels])
import_keras_for_files()
export.save_keras(compacted, snakemake.output.keras)
