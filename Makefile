# Set-up is part of every target: a virtual environment pinned to requirements.txt,
# (re)installed only when requirements.txt changes.
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-16)
export PATH := $(BIN):$(PATH)
# The one way the package is found (the Snakefile does the same for what it runs).
export PYTHONPATH := $(abspath workflow)

.PHONY: setup browser slurm run readme-picture test unit report lint benchmark benchmark-posttraining benchmark-dot-rate benchmark-graph benchmark-applications benchmark-augment benchmark-evaluation benchmark-onednn benchmark-lone-training benchmark-side-by-side benchmark-custom-data benchmark-latency config docs
setup: $(STAMP)

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

run: setup  ## the main job: the default sweep (config.yaml)
	snakemake --cores 4 $(ARGS)

readme-picture: setup browser  ## the README's picture from the default run's report (the sweep brought up to date first)
	snakemake --cores 4
	python -m prunelab.results.readme_picture results/report/report.html docs/images/report.png README.md

# Tests run on every core (pytest-xdist): those of one workflow run's fixtures together on one
# worker (tests/conftest.py), so no run is made twice.
test: setup browser slurm  ## the whole test suite (offline, 11 to 14 minutes on 2 cores here: docs/development.md)
	python -m pytest --numprocesses auto --dist loadgroup $(ARGS)

unit: setup  ## the fast loop: every test that neither trains nor runs the workflow (seconds)
	python -m pytest -m "not integration and not slow and not needs_root" $(ARGS)

# Debian's Chromium and ChromeDriver, for the test that opens the reports as a reader would.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: /usr/bin/chromedriver
/usr/bin/chromedriver:
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q chromium chromium-driver

# Debian's SLURM and munge, for the test that runs the workflow on a single-node cluster.
slurm: /usr/sbin/slurmctld
/usr/sbin/slurmctld:
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q slurm-wlm munge

report: setup  ## snakemake's own HTML report of the last run
	snakemake --report results/report/snakemake-report.html $(ARGS)

lint: setup  ## the Snakemake catalog's checks: snakemake --lint and the snakefmt formatter
	snakemake --lint
	snakefmt --check Snakefile workflow/rules

benchmark: setup  ## speed and memory against this machine's limits (about an hour; ARGS=--quick: minutes)
	python benchmarks/run.py $(ARGS)

benchmark-posttraining: setup  ## prune jobs without retraining: seconds and memory per job (minutes)
	python benchmarks/posttraining.py

benchmark-dot-rate: setup  ## one training step's matrix products on one core, numpy against XLA (a minute)
	python benchmarks/dot_rate.py

benchmark-graph: setup  ## a ResNet-20 weight-pruning job on 10,000 32x32x3 images, and its training epoch on both backends (minutes)
	python benchmarks/graph_prune.py
	python benchmarks/resnet_epoch.py

benchmark-applications: setup  ## keras.applications' ResNet50, MobileNetV2, DenseNet121 and EfficientNetB0: read, unit-pruned, compacted (a minute)
	python benchmarks/applications.py

benchmark-latency: setup  ## a CNN's latency job over the posttraining preset's 42 pruned models, 3 times (minutes)
	python benchmarks/latency_job.py

benchmark-augment: setup  ## training.augment's cost per epoch: the draws alone and a cnn epoch with and without (minutes)
	python benchmarks/augment.py

benchmark-evaluation: setup  ## numpy against ONNX Runtime evaluating each built-in: seconds and whether the logits agree (minutes)
	python benchmarks/evaluation_runtime.py

benchmark-onednn: setup  ## training speed of each built-in with oneDNN off and on, on 1 and 2 threads (about 25 minutes)
	python benchmarks/onednn.py

benchmark-lone-training: setup  ## a lone ResNet-20 epoch in the workflow against plain Keras's (about 10 minutes)
	python benchmarks/lone_training.py

benchmark-side-by-side: setup  ## the default MLP's epoch alone and two trainings at once, Adam and SGD (about 8 minutes)
	python benchmarks/side_by_side.py

benchmark-custom-data: setup  ## fetching and reading a CIFAR-10-sized own dataset and CIFAR-10 archive, verified (minutes)
	python benchmarks/custom_data.py

docs: setup  ## docs/configuration.md, every key of the config, from the schema
	python -m prunelab.plumbing.config --reference > docs/configuration.md

config: setup  ## the complete default configuration, from the schema's defaults
	python -m prunelab.plumbing.config
