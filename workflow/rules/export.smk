# Pruned models in their best real format (compacted; each layer dense or CSR), loadable into
# Keras with prunelab.export.load_keras(path). Built on request, e.g.
#   snakemake --cores 1 results/exported/digits/<train_id>/seed0/all_but_output/unit/k0.9.npz
# or for every model with `efficiency: {export: true}`.


rule export_pruned:
    input:
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        f"{EXPORTED}.npz",
    log:
        f"{LOGS}/export/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}.log",
    benchmark:
        f"{BENCHMARKS}/export/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=CODE["export_model"],
        method="{method}",
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
    script:
        "../scripts/export_model.py"


rule export_finetuned:
    input:
        weights=f"{FINETUNED}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        f"{EXPORTED}/{{finetune_id}}.npz",
    log:
        f"{LOGS}/export/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{finetune_id}}.log",
    benchmark:
        f"{BENCHMARKS}/export/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{finetune_id}}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=CODE["export_model"],
        method=None,  # the fine-tuned weights are already pruned
        k=None,
        layers=None,
    script:
        "../scripts/export_model.py"
