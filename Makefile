# The course's commands. Everything runs inside .venv/ in the repo root.
#   make book   set up (if needed) and build the static site into _build/html/
#   make test   set up (if needed), unit tests, nbval over every notebook, strict site build
#   make lab    JupyterLab on the book, for students
#   make execute NB=book/X.ipynb   re-run a notebook and store its outputs
#   make assignments   student notebooks + autograder under _build/assignments/
#   make bench  reference implementations vs PyTorch's native ones
#   make clean  remove build output (keeps .venv/; `make distclean` removes it too)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JB_FLAGS := -W -n --keep-going
NOTEBOOKS := $(wildcard book/*.ipynb)
# Two cores: one pytest worker per core; loadfile keeps each notebook in one worker.
XDIST := -n 2 --dist loadfile
# The networks here are small: one BLAS/OpenMP thread per process is as fast, avoids
# oversubscribing 2 cores when two pytest workers run, and keeps float results identical
# between `make execute` (which stores outputs) and `make nbval` (which compares them).
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: setup book test unit nbval assignments assignments-check site lab bench execute clean distclean

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The site is at: $(CURDIR)/_build/html/index.html"

test: unit nbval assignments-check site

unit: $(STAMP)
	$(BIN)/python -m pytest tests $(XDIST) -q --ignore tests/test_assignments_book.py

# Student notebooks, autograder tests and instructor READMEs under _build/assignments/.
assignments: $(STAMP)
	$(BIN)/python -m lectures_lib.assign --book book --out _build/assignments

# Proof that the generated material works: no leaks, student notebooks run, grading is right.
assignments-check: $(STAMP)
	$(BIN)/python -m pytest tests/test_assignments_book.py -n 2 --dist load -q

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout 120 $(XDIST) -q -p no:cacheprovider $(NOTEBOOKS)

site: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)

# Re-run notebooks in place and store their outputs: make execute NB=book/01_sigmoid_tanh.ipynb
execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 $(or $(NB),$(NOTEBOOKS))

lab: $(STAMP)
	$(BIN)/jupyter lab book/

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_reference.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
