# The verbs people type. Every target installs what it needs first, so any of them works as
# the very first command on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MODEL_DIR ?= runs/model
LEGACY_DIR ?= runs/legacy

.PHONY: setup train legacy scan parity bench test test-slow test-all lint format clean

setup: $(STAMP)

# The dev extra: TensorFlow's CPU build, the parity and plot extras, the test and lint tools.
# -qq: pip prints errors only (setuptools' notes on editable installs are for every project).
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade pip
	@echo "installing tf2rec (editable) with its dev extra into $(VENV) ..."
	@$(PY) -m pip install -qq -e '.[dev]'
	@touch $(STAMP)

train: $(STAMP)
	$(VENV)/bin/tf2rec train --model-dir $(MODEL_DIR) --overwrite

legacy: $(STAMP)
	$(VENV)/bin/tf2rec legacy-train --model-dir $(LEGACY_DIR) --overwrite

# Report every TF1 idiom in the legacy model (exit 0: the findings are expected there).
scan: $(STAMP)
	$(VENV)/bin/tf2rec scan legacy/ --fail-on never

# The migrated model against the legacy one: bitwise where both compute the same way (forward,
# gradients, 50 steps per optimizer), within a floating-point error bound where they do not.
parity: $(STAMP)
	$(VENV)/bin/tf2rec parity

# Speed, as ratios against the reference in the same run (about twenty minutes on 2 cores):
# the scanner against tf_upgrade_v2, the migrated model against the legacy one, and localhost
# clusters of 1 and 2 workers.
bench: $(STAMP)
	$(VENV)/bin/tf2rec bench scan --files 2000 --repeat 3
	$(VENV)/bin/tf2rec bench train --plot runs/bench-train.png
	$(VENV)/bin/tf2rec bench quality --seeds 0 1 2 3 4 --out runs/bench-quality.md
	$(VENV)/bin/tf2rec bench train --strategy multi-worker --sizes 10000 100000

test: $(STAMP)
	$(PY) -m pytest -q -n 2

# Exit code 5 means "no slow tests collected", which is fine. Two workers, as `make test`: most
# slow tests wait on a child process (a cluster, a kernel configuration, a fresh venv).
test-slow: $(STAMP)
	$(PY) -m pytest -q -n 2 -m slow || [ $$? -eq 5 ]

test-all: test test-slow

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache *.egg-info
