# Quantization after pruning (quantization.methods; none by default): each chosen pruned,
# fine-tuned or trained model stored in fewer bits and evaluated (prunelab.quantizing); beside
# its record, the file that runs it (.model: ONNX for kmeans and int8, LiteRT's .tflite
# flatbuffer for litert).


rule quantize_pruned:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
        pruned=PRUNED_MODEL,
    output:
        metrics=f"{QUANTIZED}.json",
        model=f"{QUANTIZED}.model",
    log:
        f"{LOGS}/quantize/{SCOPED}/{{method}}-k{{k}}-{{quantizer}}.log",
    benchmark:
        f"{BENCHMARKS}/quantize/{SCOPED}/{{method}}-k{{k}}-{{quantizer}}.tsv"
    conda:
        QUANTIZING.conda
    threads: QUANTIZING.threads
    resources:
        **QUANTIZING.resources,
    params:
        selection=SELECTION,
        settings=lambda wildcards: PLAN.quantizer_settings(wildcards.quantizer, wildcards.train_id),
        finetune=None,
        code=code("quantize"),
    script:
        "../scripts/quantize.py"


use rule quantize_pruned as quantize_finetuned with:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
        finetuned=f"{FINETUNED}/weights.npz",
    output:
        metrics=f"{QUANTIZED_FINETUNED}.json",
        model=f"{QUANTIZED_FINETUNED}.model",
    log:
        f"{LOGS}/quantize/{SCOPED}/{{method}}-k{{k}}-{{finetune_id}}-{{quantizer}}.log",
    benchmark:
        f"{BENCHMARKS}/quantize/{SCOPED}/{{method}}-k{{k}}-{{finetune_id}}-{{quantizer}}.tsv"
    params:
        selection=SELECTION,
        settings=lambda wildcards: PLAN.quantizer_settings(wildcards.quantizer, wildcards.train_id),
        finetune=lambda wildcards: PLAN.finetunes[wildcards.finetune_id],
        code=code("quantize"),


use rule quantize_pruned as quantize_unpruned with:
    input:
        split_files("train"),
        split_files("test"),
        data=ancient(PROVENANCE),
        weights=f"{MODEL}/weights.npz",
        record=f"{MODEL}/train.json",
    output:
        metrics=f"{QUANTIZED_UNPRUNED}.json",
        model=f"{QUANTIZED_UNPRUNED}.model",
    log:
        f"{LOGS}/quantize/{SCOPED}/k0-{{quantizer}}.log",
    benchmark:
        f"{BENCHMARKS}/quantize/{SCOPED}/k0-{{quantizer}}.tsv"


rule aggregate_quantized:
    input:
        quantized_paths(),
    output:
        report(
            QUANTIZED_TABLE,
            caption="../../report/quantized.rst",
            category="Metrics",
        ),
    log:
        f"{LOGS}/aggregate_quantized/{EXPERIMENT}.log",
    benchmark:
        f"{BENCHMARKS}/aggregate_quantized/{EXPERIMENT}.tsv"
    conda:
        SUMMARIZING.conda
    threads: SUMMARIZING.threads
    resources:
        **SUMMARIZING.resources,
    params:
        unpruned_methods=PLAN.quantized_unpruned_methods(),
        code=code("aggregate_quantized"),
    script:
        "../scripts/aggregate_quantized.py"
