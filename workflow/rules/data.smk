rule fetch_data:
    # The dataset's identity is the SHA-256 of its files, fixed in prunelab.datasets;
    # the configured sources only say where to look, so editing them reruns nothing.
    output:
        files=[f"{DATA}/{name}" for names in SPLIT_FILES.values() for name in names],
        provenance=f"{DATA}/provenance.json",
    log:
        f"{LOGS}/fetch_data/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/fetch_data/{{dataset}}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=15,
    params:
        code=CODE["fetch_data"],
    script:
        "../scripts/fetch_data.py"
