# Pruning methods that train (prunelab.methods.method.Method.trains): one rule per way of running
# and result folder, from the methods' own modules (prunelab.plumbing.plan.Plan.rule_families).
# Each job trains like the training rule (its threads and memory) and writes its result files.
for family in PLAN.rule_families():

    rule:
        name:
            family.name
        input:
            split_files("train"),
            split_files("test"),
            unpack(family_inputs(family)),
            data=ancient(PROVENANCE),
            weights=f"{MODEL}/weights.npz",
            record=f"{MODEL}/train.json",
        output:
            **result_files(family),
        log:
            family.result.replace("results/", f"{LOGS}/", 1) + ".log",
        benchmark:
            family.result.replace("results/", f"{BENCHMARKS}/", 1) + ".tsv"
        priority: TRAINING.priority
        conda:
            TRAINING.conda
        threads: TRAINING.threads
        resources:
            **TRAINING.resources,
        params:
            method=family_method(family, PLAN.method_spec),
            selection=SELECTION,
            settings=family_method(family, PLAN.settings.get),
            code=family_method(family, lambda method: code("train_method", method)),
        script:
            "../scripts/train_method.py"
