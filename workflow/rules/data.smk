rule fetch_data:
    output:
        files=[f"{DATA}/{name}" for names in SPLIT_FILES.values() for name in names],
        provenance=f"{DATA}/provenance.json",
    log:
        f"{LOGS}/fetch_data/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/fetch_data/{{dataset}}.tsv"
    # The dataset's identity is the SHA-256 of its files, fixed in prunelab.data.datasets;
    # the configured sources only say where to look, and the fetching code how, so editing
    # either reruns nothing: a fetch reruns only for other checksums. (A code trigger would also
    # cost a second run: Snakemake leaves the jobs after a rerun fetch, whose data inputs are
    # ancient, unscheduled even where they have reasons of their own; snakemake/snakemake#4166.)
    wildcard_constraints:
        dataset="|".join(DATASETS),
    conda:
        FETCHING.conda
    threads: FETCHING.threads
    resources:
        **FETCHING.resources,
    params:
        dataset=lambda wildcards: dataset_digest(wildcards.dataset),
    script:
        "../scripts/fetch_data.py"


rule fetch_custom_data:
    output:
        data=f"{DATA}/{CUSTOM_FILE}",
        provenance=f"{DATA}/provenance.json",
    log:
        f"{LOGS}/fetch_custom_data/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/fetch_custom_data/{{dataset}}.tsv"
    # A researcher's own dataset (custom_datasets): its file or download verified by the SHA-256
    # the config gives (a param: another checksum refetches), every array checked, then placed.
    wildcard_constraints:
        dataset="|".join(config["custom_datasets"]) or "(?!)",
    conda:
        FETCHING.conda
    threads: FETCHING.threads
    resources:
        **FETCHING.resources,
    params:
        entry=lambda wildcards: config["custom_datasets"][wildcards.dataset],
    script:
        "../scripts/fetch_custom_data.py"


rule fetch_cifar10:
    output:
        data=f"{DATA}/{CUSTOM_FILE}",
        provenance=f"{DATA}/provenance.json",
    log:
        f"{LOGS}/fetch_cifar10/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/fetch_cifar10/{{dataset}}.tsv"
    # CIFAR-10's binary archive from the first source that delivers it with its SHA-256 (fixed
    # in prunelab.data.cifar10, or a source's own), unpacked safely, placed as its dataset file.
    wildcard_constraints:
        dataset="cifar10",
    conda:
        FETCHING.conda
    threads: FETCHING.threads
    resources:
        **FETCHING.resources,
    params:
        sources=config["data"]["sources"]["cifar10"],
    script:
        "../scripts/fetch_cifar10.py"
