rule fetch_data:
    # The dataset's identity is the SHA-256 of its files, fixed in prunelab.data.datasets;
    # the configured sources only say where to look, and the fetching code how, so editing
    # either reruns nothing: a fetch reruns only for other checksums. (A code trigger would also
    # cost a second run: Snakemake leaves the jobs after a rerun fetch, whose data inputs are
    # ancient, unscheduled even where they have reasons of their own; snakemake/snakemake#4166.)
    output:
        files=[f"{DATA}/{name}" for names in SPLIT_FILES.values() for name in names],
        provenance=f"{DATA}/provenance.json",
    log:
        f"{LOGS}/fetch_data/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/fetch_data/{{dataset}}.tsv"
    conda:
        FETCHING.conda
    threads: FETCHING.threads
    resources:
        **FETCHING.resources,
    params:
        dataset=lambda wildcards: dataset_digest(wildcards.dataset),
    script:
        "../scripts/fetch_data.py"
