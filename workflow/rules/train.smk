rule train:
    input:
        split_files("train"),
        data=ancient(PROVENANCE),
    output:
        weights=f"{MODEL}/weights.npz",
        history=f"{MODEL}/history.csv",
        record=f"{MODEL}/train.json",
    log:
        f"{LOGS}/train/{{dataset}}/{{train_id}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/train/{{dataset}}/{{train_id}}/seed{{seed}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    params:
        spec=training_spec,
        code=CODE["train"],
    script:
        "../scripts/train.py"


rule plot_training:
    input:
        f"{MODEL}/history.csv",
    output:
        report(
            f"{MODEL}/curves.png",
            caption="../../report/training_curves.rst",
            category="Training",
            subcategory="{dataset}",
            labels={"model": "{train_id}", "seed": "{seed}"},
        ),
    log:
        f"{LOGS}/plot_training/{{dataset}}/{{train_id}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/plot_training/{{dataset}}/{{train_id}}/seed{{seed}}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=CODE["plot_training"],
    script:
        "../scripts/plot_training.py"
