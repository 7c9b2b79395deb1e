# The course's commands. Everything runs inside .venv/ in the repo root.
#   make book   set up (if needed) and build the static site into _build/html/
#   make test   set up (if needed), unit tests, nbval over every notebook, strict site build
#   make lab    JupyterLab on the book, for students
#   make execute NB=book/X.ipynb   re-run a notebook and store its outputs
#   make assignments   student notebooks, autograder, Gradescope bundles under _build/assignments/
#   make nbgrader-check   (slow) the chapters under a real nbgrader release and autograde
#   make bench  reference implementations vs PyTorch's native ones; grading throughput
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

.PHONY: setup vendor book test unit nbval assignments assignments-check nbgrader-check site site-check lab bench execute clean distclean

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# The site serves MathJax, the widget renderer and RequireJS itself (no CDN): they come
# from the npm registry at build time (site/package.json, pinned by site/package-lock.json)
# and are copied to _build/vendor/_vendor/, which the build publishes as _build/html/_vendor/.
VENDOR := _build/vendor/_vendor
NPM_STAMP := site/node_modules/.installed-stamp

$(NPM_STAMP): site/package.json site/package-lock.json
	@command -v npm >/dev/null || { echo "ERROR: npm (Node.js) is needed to fetch MathJax and the widget renderer that the site serves itself; without them pages would show raw TeX. Install Node.js and npm, then retry." >&2; exit 1; }
	cd site && npm ci --no-audit --no-fund --silent || { echo "ERROR: could not install the site's browser assets (MathJax, widget renderer) from the npm registry. The site is not built, because its pages would show raw TeX. Check the network and retry." >&2; exit 1; }
	@touch $@

vendor: $(VENDOR)/.stamp

$(VENDOR)/.stamp: $(NPM_STAMP)
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp -r site/node_modules/mathjax/es5 $(VENDOR)/mathjax
	mkdir -p $(VENDOR)/@jupyter-widgets/html-manager
	cp -r site/node_modules/@jupyter-widgets/html-manager/dist $(VENDOR)/@jupyter-widgets/html-manager/dist
	cp site/node_modules/requirejs/require.js $(VENDOR)/require.js
	@# AMD modules (the widget renderer and its fonts) resolve against _vendor/, not the page
	echo '(function () { var s = document.currentScript.src; require.config({baseUrl: s.slice(0, s.lastIndexOf("/") + 1)}); })();' >> $(VENDOR)/require.js
	@touch $@

book: $(STAMP) vendor
	$(BIN)/python -m lectures_lib.buildinfo --book book --out book/_generated/build_info.md
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The site is at: $(CURDIR)/_build/html/index.html"

test: unit nbval assignments-check site-check

unit: $(STAMP)
	$(BIN)/python -m pytest tests $(XDIST) -q --ignore tests/test_assignments_book.py

# Student notebooks, autograder tests and instructor READMEs under _build/assignments/.
assignments: $(STAMP)
	$(BIN)/python -m lectures_lib.assign --book book --out _build/assignments

# Proof that the generated material works: no leaks, student notebooks run, grading is right.
assignments-check: $(STAMP)
	$(BIN)/python -m pytest tests/test_assignments_book.py -n 2 --dist load -q

# Slow (minutes; not part of make test): real nbgrader 0.9.6 in a throwaway venv releases every
# chapter (no solution or hidden-test line may reach students) and autogrades a stub and a
# reference submission of Chapter 6. Run it after changing exercises or written solutions.
NBGRADER_VENV := _build/nbgrader-venv
nbgrader-check: $(STAMP)
	@test -x $(NBGRADER_VENV)/bin/nbgrader || { $(BIN)/python -m venv $(NBGRADER_VENV) && \
	  $(NBGRADER_VENV)/bin/python -m pip install --quiet nbgrader==0.9.6; }
	$(NBGRADER_VENV)/bin/python tests/nbgrader_check.py --course-python $(BIN)/python

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout 120 $(XDIST) -q -p no:cacheprovider $(NOTEBOOKS)

site: book

# Every page of the built site in headless Chromium: math rendered, images loaded, no request
# off the local host, no JavaScript error, no broken internal link; a screenshot in _build/site-check/.
site-check: site
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; else echo "ERROR: the site check needs Debian's chromium package (apt-get install chromium)" >&2; exit 1; fi; }
	$(BIN)/python tests/site_check.py _build/html --screenshot _build/site-check/chapter1.png

# Re-run notebooks in place and store their outputs: make execute NB=book/01_sigmoid_tanh.ipynb
execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 $(or $(NB),$(NOTEBOOKS))

lab: $(STAMP)
	$(BIN)/jupyter lab book/

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_reference.py
	$(BIN)/python benchmarks/bench_grading.py

clean:
	rm -rf _build book/_generated .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) site/node_modules
