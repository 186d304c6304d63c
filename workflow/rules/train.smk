rule train:
    input:
        split_files("train"),
        data=f"{DATA}/provenance.json",
    output:
        weights=f"{MODEL}/weights.npz",
        history=f"{MODEL}/history.csv",
        record=f"{MODEL}/train.json",
        curves=report(
            f"{MODEL}/curves.png",
            caption="../../report/training_curves.rst",
            category="Training",
            subcategory="{dataset}",
            labels={"model": "{train_id}", "seed": "{seed}"},
        ),
    params:
        spec=training_spec,
    log:
        f"{LOGS}/train/{{dataset}}/{{train_id}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/train/{{dataset}}/{{train_id}}/seed{{seed}}.tsv",
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/train.py"
