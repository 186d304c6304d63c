# Pruning methods that train (prunelab.pruning.Method.trains): each job trains like the
# training rule (its threads and memory) and writes metrics.json, weights.npz and history.csv.


rule gradual:
    input:
        split_files("train"),
        split_files("test"),
        data=f"{DATA}/provenance.json",
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{GRADUAL}/metrics.json",
        weights=f"{GRADUAL}/weights.npz",
        history=f"{GRADUAL}/history.csv",
    params:
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        gradual=gradual_settings(config),
        record_format=RECORD_FORMAT,
    log:
        f"{LOGS}/gradual/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}-{gradual_id(config)}.log",
    benchmark:
        f"{BENCHMARKS}/gradual/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}-{gradual_id(config)}.tsv"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/gradual.py"


rule prune_at_init:
    input:
        split_files("train"),
        split_files("test"),
        data=f"{DATA}/provenance.json",
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{AT_INIT_RESULT}/metrics.json",
        weights=f"{AT_INIT_RESULT}/weights.npz",
        history=f"{AT_INIT_RESULT}/history.csv",
    params:
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        settings=settings_of,
        record_format=RECORD_FORMAT,
    log:
        f"{LOGS}/prune_at_init/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{at_init_id}}.log",
    benchmark:
        f"{BENCHMARKS}/prune_at_init/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{{method}}-k{{k}}-{{at_init_id}}.tsv"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/prune_at_init.py"


rule lottery:
    input:
        unpack(previous_round),
        split_files("train"),
        split_files("test"),
        data=f"{DATA}/provenance.json",
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{LOTTERY}/metrics.json",
        weights=f"{LOTTERY}/weights.npz",
        masks=f"{LOTTERY}/masks.npz",
        history=f"{LOTTERY}/history.csv",
    params:
        layers=LAYERS,
        lottery=LOTTERY_SETTINGS,
        record_format=RECORD_FORMAT,
    log:
        f"{LOGS}/lottery/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.log",
    benchmark:
        f"{BENCHMARKS}/lottery/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.tsv"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/lottery.py"


rule lottery_reinit:
    input:
        split_files("train"),
        split_files("test"),
        data=f"{DATA}/provenance.json",
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
        masks=f"{LOTTERY}/masks.npz",
    output:
        metrics=f"{LOTTERY}/reinit/metrics.json",
        weights=f"{LOTTERY}/reinit/weights.npz",
        history=f"{LOTTERY}/reinit/history.csv",
    params:
        layers=LAYERS,
        lottery=LOTTERY_SETTINGS,
        record_format=RECORD_FORMAT,
    log:
        f"{LOGS}/lottery_reinit/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.log",
    benchmark:
        f"{BENCHMARKS}/lottery_reinit/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}-round{{round}}.tsv"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/lottery_reinit.py"


rule scratch:
    input:
        split_files("train"),
        split_files("test"),
        data=f"{DATA}/provenance.json",
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{SCRATCH}/metrics.json",
        weights=f"{SCRATCH}/weights.npz",
        history=f"{SCRATCH}/history.csv",
    params:
        k=lambda wildcards: float(wildcards.k),
        layers=LAYERS,
        record_format=RECORD_FORMAT,
    log:
        f"{LOGS}/scratch/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}.log",
    benchmark:
        f"{BENCHMARKS}/scratch/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}.tsv"
    threads: config["training"]["threads"]
    resources:
        mem_mb=2500,
        runtime=60,
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/scratch.py"
