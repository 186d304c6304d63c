rule fetch_data:
    # The dataset's identity is the SHA-256 of its files, fixed in prunelab.data.datasets;
    # the configured sources only say where to look, so editing them reruns nothing.
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
        code=code("fetch_data"),
    script:
        "../scripts/fetch_data.py"
