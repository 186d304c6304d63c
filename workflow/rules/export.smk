# Pruned models in their best real format (compacted; each layer dense or CSR), loadable into
# Keras with prunelab.measuring.export.load_keras(path), and as .keras files that load in plain
# Keras (keras.saving.load_model, no prunelab). Built on request, e.g.
#   snakemake --cores 1 results/exported/digits/<train_id>/seed0/all_but_output/unit/k0.9.npz
# or for every model with `efficiency: {export: true}`. Every method's k = 0 is the trained model,
# exported once: results/exported/<dataset>/<train_id>/seed0/all_but_output/k0.npz.


rule export_pruned:
    input:
        pruned=PRUNED_MODEL,
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        npz=f"{EXPORTED}.npz",
        keras=f"{EXPORTED}.keras",
    log:
        f"{LOGS}/export/{SCOPED}/{{method}}-k{{k}}.log",
    benchmark:
        f"{BENCHMARKS}/export/{SCOPED}/{{method}}-k{{k}}.tsv"
    conda:
        NUMPY.conda
    threads: NUMPY.threads
    resources:
        **NUMPY.resources,
    params:
        code=code("export_model"),
    script:
        "../scripts/export_model.py"


use rule export_pruned as export_finetuned with:
    input:
        weights=f"{FINETUNED}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        npz=f"{EXPORTED}/{{finetune_id}}.npz",
        keras=f"{EXPORTED}/{{finetune_id}}.keras",
    log:
        f"{LOGS}/export/{SCOPED}/{{method}}-k{{k}}-{{finetune_id}}.log",
    benchmark:
        f"{BENCHMARKS}/export/{SCOPED}/{{method}}-k{{k}}-{{finetune_id}}.tsv"


use rule export_pruned as export_unpruned with:
    input:
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        npz=f"{UNPRUNED_EXPORTED}.npz",
        keras=f"{UNPRUNED_EXPORTED}.keras",
    log:
        f"{LOGS}/export/{SCOPED}/k0.log",
    benchmark:
        f"{BENCHMARKS}/export/{SCOPED}/k0.tsv"
