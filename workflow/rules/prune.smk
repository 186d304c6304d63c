rule prune:
    input:
        split_files("test"),
        data=f"{DATA}/provenance.json",
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        PRUNED,
    params:
        method="{method}",
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
    log:
        f"{LOGS}/prune/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}.log",
    threads: 1
    resources:
        mem_mb=800,
        runtime=5,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/prune.py"
