rule train:
    input:
        split_files("train"),
        data=ancient(PROVENANCE),
    output:
        weights=f"{MODEL}/weights.npz",
        model=f"{MODEL}/model.keras",
        history=f"{MODEL}/history.csv",
        record=f"{MODEL}/train.json",
    log:
        f"{LOGS}/train/{TRAINED_MODEL}.log",
    benchmark:
        f"{BENCHMARKS}/train/{TRAINED_MODEL}.tsv"
    priority: TRAINING.priority
    conda:
        TRAINING.conda
    threads: TRAINING.threads
    resources:
        **TRAINING.resources,
    params:
        spec=training_spec,
        code=code("train"),
    script:
        "../scripts/train.py"


rule plot_training:
    input:
        f"{MODEL}/history.csv",
    output:
        model_figure(f"{MODEL}/curves.png", "../../report/training_curves.rst", "Training"),
    log:
        f"{LOGS}/plot_training/{TRAINED_MODEL}.log",
    benchmark:
        f"{BENCHMARKS}/plot_training/{TRAINED_MODEL}.tsv"
    conda:
        PLOTTING.conda
    threads: PLOTTING.threads
    resources:
        **PLOTTING.resources,
    params:
        code=code("plot_training"),
    script:
        "../scripts/plot_training.py"
