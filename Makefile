# The two commands of the README. Each sets up everything it needs from scratch.
#   make run    -> set up, then run the main job
#   make test   -> set up, then lint, type-check and run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# make run needs the package and its [gen] extra only (Pythia 8, FastJet); make test, training and every other
# target the whole [test] extra (TensorFlow, hls4ml, ...: most of the install time). Each stamp is remade when
# pyproject.toml changes; the test install covers the run's.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed

.PHONY: run test setup lint clean samples run-samples jet-tagger-samples jet-tagger anomaly-samples muon-pt-samples muon-pt

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[gen]'  # gen: make run generates the samples
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test,gen]'
	touch $(STAMP) $(RUN_STAMP)

setup: $(STAMP)

# default samples (configs/samples.yaml): generated once into data/samples, reused while unchanged; make run makes
# only the zero-bias sample it reads (with the pool ~8 min of 2 cores on a new machine; the rest of the list ~2 min)
samples: $(RUN_STAMP)
	$(VENV)/bin/l1emu generate --all configs/samples.yaml --outdir data/samples --quiet

run-samples: $(RUN_STAMP)
	$(VENV)/bin/l1emu generate --all configs/samples.yaml --only zerobias --outdir data/samples --quiet

# jet-tagger training + held-out samples (configs/samples_jet_tagger.yaml; not part of `make run`, ~1.5 h on 1 core)
jet-tagger-samples: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(VENV)/bin/l1emu generate --all configs/samples_jet_tagger.yaml --outdir data/samples/jet_tagger -j 1

# the shipped jet tagger (configs/algorithms/jet_tagger): train on the samples above, then its metrics
jet-tagger: $(STAMP)
	$(VENV)/bin/l1emu train jet-tagger -i 'data/samples/jet_tagger/train-*.root' -o configs/algorithms/jet_tagger
	$(VENV)/bin/l1emu evaluate jet-tagger -i 'data/samples/jet_tagger/test-*.root' -o out/jet_tagger

# anomaly-detection training (1 000 000 crossings) + held-out (500 000) zero-bias and the four signals, mu 60
# (configs/samples_anomaly.yaml; not part of `make run`, about 1 h on one core)
anomaly-samples: $(STAMP)
	OPENBLAS_NUM_THREADS=1 nice -n 5 $(VENV)/bin/l1emu generate --all configs/samples_anomaly.yaml --outdir data/samples/anomaly -j 1 --quiet

# muon pT regressor training + held-out gun samples (configs/samples_muon_pt.yaml; not part of `make run`)
muon-pt-samples: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(VENV)/bin/l1emu generate --all configs/samples_muon_pt.yaml --outdir data/samples/muon_pt -j 1

# the shipped muon pT regressor (configs/algorithms/muon_pt): train, metrics, rates of the NN menu
muon-pt: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(VENV)/bin/l1emu train muon-pt -i 'data/samples/muon_pt/train-*.root' -o configs/algorithms/muon_pt
	$(VENV)/bin/l1emu evaluate muon-pt -i data/samples/muon_pt/test-1.root -o out/muon_pt
	$(VENV)/bin/l1emu rates configs/menus/l1_menu_muon_nn.yaml -i data/samples/muon_pt/zerobias.root -o out/muon_nn_rates
	$(PY) benchmarks/muon_pt_rate_ratio.py out/muon_nn_rates/rates.json L1_SingleMu22 L1_SingleMuNN22

run: $(RUN_STAMP) run-samples
	$(VENV)/bin/l1emu rates configs/menus/l1_menu_default.yaml --input data/samples/zerobias.root -o out/rates

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# the suite on PYTEST_WORKERS pytest-xdist processes (0: serially, in this one), a whole test file to one worker
# (--dist loadfile): module fixtures that train models, generate samples or compile C++ then run once, not per worker
PYTEST_WORKERS ?= 2

test: lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
