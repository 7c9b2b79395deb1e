# The course's commands. Everything runs inside .venv/ in the repo root.
#   make book   set up (if needed) and build the static site into _build/html/
#   make test   set up (if needed), lint, fingerprints, unit tests, nbval over every notebook
#               (natively and under the portability probe), assignment check, strict site
#               build and check, the newcomer test
#   make lint   static checks: ruff (format and lint: package, tests, benchmarks, notebooks)
#               and the GitHub workflows (actionlint and zizmor, offline)
#   make lab    JupyterLab on the book, for students
#   make execute NB=book/X.ipynb   re-run a notebook and store its outputs
#   make editions   reader editions (no MyST markup) + binder/ + wheel: the `editions` branch
#   make student    every chapter's reader edition in one folder, _build/student/
#   make assignments   student notebooks, autograder, Gradescope bundles under _build/assignments/
#   make nbgrader-check   (slow) the chapters under a real nbgrader release and autograde
#   make bench  reference implementations vs PyTorch's native ones; grading throughput
#   make newcomer  Chapter 1 where lectures_lib is missing (as on Colab): its set-up cell
#               installs the built site's wheel (part of make test)
#   make release VERSION=X.Y.Z   wheel, site and assignment archives under _build/release/
#   make clean  remove build output (keeps .venv/; `make distclean` removes it too)

SHELL := /bin/bash
# Bytecode caches (__pycache__/: ignored by git, removed by make clean) let each of make
# test's many processes reuse the code the ones before compiled. Some environments set
# PYTHONDONTWRITEBYTECODE, and then every process compiles lectures_lib and pytest
# rewrites every test module afresh (2-3 s per pytest process).
unexport PYTHONDONTWRITEBYTECODE
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The newcomer test's interpreter (make newcomer): what Colab preinstalls, not lectures_lib.
NEWCOMER := $(VENV)/newcomer
NEWCOMER_STAMP := $(NEWCOMER)/.installed-stamp
JB_FLAGS := -W -n --keep-going
NOTEBOOKS := $(wildcard book/*.ipynb)
# Longest first (stored cell times), so that the two nbval workers finish together.
NOTEBOOKS_BY_COST = $(shell $(PYTHON) tests/by_cost.py $(NOTEBOOKS))
# Two cores: one pytest worker per core; loadfile keeps each notebook in one worker.
XDIST := -n 2 --dist loadfile
# Threads: importing lectures_lib sets one thread per process (lectures_lib/runtime.py), the
# same in JupyterLab as here, so the Makefile sets none.
NBVAL := $(BIN)/python -m pytest --nbval --nbval-current-env \
  --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 120 $(XDIST) -q \
  -p no:cacheprovider
# The portability probe: another kernel path, as another CPU family would take (PyTorch's
# generic kernels, MKL's AVX2 code). One definition, read by the Makefile and the tests.
PROBE_ENV := $(shell cat tests/probe.env)

.PHONY: setup site-assets vendor wheel editions student book test test-notebooks test-rest newcomer lint lint-python lint-workflows unit fingerprints nbval nbval-probe assignments assignments-check nbgrader-check site site-check lab bench execute release clean distclean

setup: $(STAMP) $(NEWCOMER_STAMP) site-assets

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

# The site's browser assets from the npm registry: part of set-up (make setup).
site-assets: $(NPM_STAMP)

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

# The lectures_lib wheel that the site publishes at _static/wheels/ (html_extra_path), with
# an index.json naming it; built offline from the pinned environment (--no-isolation).
WHEELS := _build/wheels/_static/wheels

wheel: $(STAMP)
	rm -rf _build/wheels
	$(BIN)/python -m build --wheel --no-isolation --outdir $(WHEELS) .
	rm -rf build
	$(BIN)/python -m lectures_lib.course.release wheel-index $(WHEELS)

# Reader editions (lectures_lib/course/reader.py): each chapter with its MyST markup (glued numbers,
# citations, admonitions, solutions, links) turned into Markdown that JupyterLab, Colab,
# Binder and GitHub render. _build/editions/ is the tree of the `editions` branch that
# pages.yml publishes and the launch buttons open: book/*.ipynb, binder/ with the wheel.
EDITIONS := _build/editions

editions: wheel
	rm -rf $(EDITIONS) && mkdir -p $(EDITIONS)/binder
	$(BIN)/python -m lectures_lib.course.reader --book book --out $(EDITIONS)/book
	if [ -d binder ]; then cp -r binder/. $(EDITIONS)/binder/; fi
	cp $(WHEELS)/*.whl $(EDITIONS)/binder/
	cp site/editions-README.md $(EDITIONS)/README.md

# For instructors: every chapter's reader edition in one folder.
student: $(STAMP)
	rm -rf _build/student
	$(BIN)/python -m lectures_lib.course.reader --book book --out _build/student

# The site's download button serves the reader edition (copied over the MyST source).
book: $(STAMP) vendor wheel editions
	$(BIN)/python -m lectures_lib.course.buildinfo --book book --out book/_generated/build_info.md
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	cp $(EDITIONS)/book/*.ipynb _build/html/_sources/book/
	@echo "The site is at: $(CURDIR)/_build/html/index.html"

# The newcomer test's interpreter, made at set-up (about 70 s; make clean keeps it): what
# Colab preinstalls that lectures_lib needs (pyproject's dependencies) and ipykernel, at
# the versions of requirements.txt and constraints.txt, and NOT lectures_lib. torch is
# pinned exactly (==2.13.0, the CPU build): a looser spec pulls a multi-GB CUDA build.
NEWCOMER_PACKAGES := torch==2.13.0 numpy matplotlib scikit-learn scipy threadpoolctl \
  nbformat nbclient ipywidgets ipython ipykernel tqdm

$(NEWCOMER_STAMP): requirements.txt constraints.txt
	rm -rf $(NEWCOMER)
	$(PYTHON) -m venv $(NEWCOMER)
	$(NEWCOMER)/bin/python -m pip install --quiet --upgrade pip
	$(NEWCOMER)/bin/python -m pip install --quiet $(NEWCOMER_PACKAGES) -c constraints.txt
	@touch $@

# A student who presses the Colab button: one short chapter, copied out of the repository,
# runs top to bottom in the newcomer interpreter; its set-up cell installs lectures_lib from
# the wheel of the built site, served on 127.0.0.1 (tests/newcomer_check.py).
# The chapter is its reader edition: what the Colab button opens (the editions branch).
NEWCOMER_CHAPTER := $(EDITIONS)/book/01_sigmoid_tanh.ipynb

newcomer: site $(NEWCOMER_STAMP)
	$(BIN)/python tests/newcomer_check.py --python $(NEWCOMER)/bin/python --site _build/html \
	  --chapter $(NEWCOMER_CHAPTER)

# Lint and stale outputs first (cheap, and every later step trusts the stored outputs), then
# two lines of work side by side, each output printed when its line ends:
#   the notebooks natively, then under the probe (both must pass on any CPU);
#   the unit tests, the assignment check, the strict site build and check, the newcomer test.
# Neither line keeps both cores busy on its own (kernel start-ups, the single-threaded
# Sphinx build), so running them together saves about a third of the wall-clock time.
# Each part prints its wall-clock time ("make test: nbval took 70 s"), and .ci/run the
# total, so that CI reports the budget (README, "Two commands").
timed = start=$$(date +%s); $(MAKE) --no-print-directory $(1) && \
  echo "make test: $(1) took $$(( $$(date +%s) - start )) s"

test: setup lint fingerprints
	$(MAKE) --no-print-directory -j 2 --output-sync=target test-notebooks test-rest

test-notebooks: $(STAMP)
	@$(call timed,nbval)
	@$(call timed,nbval-probe)

# site-check and newcomer in one make, so that the site (a phony target) is built once.
# They come first: the single-threaded site build and the browser leave a core to the
# notebooks' two workers; the unit tests (two workers) fill both cores at the end.
test-rest: $(STAMP)
	@$(call timed,site-check newcomer)
	@$(call timed,assignments-check)
	@$(call timed,unit)

# Static checks; append more linters to LINTERS. Python: ruff (pinned in requirements.txt,
# configured in pyproject.toml) formats and lints the package, tests, benchmarks and the
# notebooks' code at 88 columns, the width the site shows without scrolling; `ruff format .`
# and `ruff check --fix .` fix most findings. The workflows: actionlint (with the pinned
# shellcheck on run: scripts) and zizmor's security audits, offline (no GitHub API).
LINTERS := lint-python lint-workflows
WORKFLOWS := $(wildcard .github/workflows/*.yml)

lint: $(LINTERS)

lint-python: $(STAMP)
	$(BIN)/ruff format --check --quiet .
	$(BIN)/ruff check --quiet .

lint-workflows: $(STAMP)
	$(BIN)/actionlint -shellcheck=$(BIN)/shellcheck -pyflakes= $(WORKFLOWS)
	$(BIN)/zizmor --offline --no-progress .github/workflows

unit: $(STAMP)
	$(BIN)/python -m pytest tests $(XDIST) -q --ignore tests/course/test_assignments_book.py

# Student notebooks, autograder tests and instructor READMEs under _build/assignments/.
assignments: $(STAMP)
	$(BIN)/python -m lectures_lib.course.assign --book book --out _build/assignments

# Proof that the generated material works: no leaks, student notebooks run, grading is right.
# One process: the generated material, the grading zygote and the imports are made once
# (two workers take as long and half again the CPU, which the notebooks' line needs).
assignments-check: $(STAMP)
	$(BIN)/python -m pytest tests/course/test_assignments_book.py -p no:xdist -q

# Slow (minutes; not part of make test): real nbgrader 0.9.6 in a throwaway venv releases every
# chapter (no solution or hidden-test line may reach students) and autogrades a stub and a
# reference submission of Chapter 6. Run it after changing exercises or written solutions.
NBGRADER_VENV := _build/nbgrader-venv
nbgrader-check: $(STAMP)
	@test -x $(NBGRADER_VENV)/bin/nbgrader || { $(BIN)/python -m venv $(NBGRADER_VENV) && \
	  $(NBGRADER_VENV)/bin/python -m pip install --quiet nbgrader==0.9.6; }
	$(NBGRADER_VENV)/bin/python tests/nbgrader_check.py --course-python $(BIN)/python


# Each notebook's stored outputs must come from its current code, package and pins.
fingerprints: $(STAMP)
	$(BIN)/python -m lectures_lib.course.fingerprint check $(NOTEBOOKS)

# Every notebook re-executed and compared with its stored outputs. Cells tagged
# nbval-ignore-output (float32 training runs, Monte Carlo, timings) are run and their claims
# asserted, but their digits are not compared: they differ between CPU families.
nbval: $(STAMP)
	$(NBVAL) $(NOTEBOOKS_BY_COST)

nbval-probe: $(STAMP)
	env $(PROBE_ENV) $(NBVAL) $(NOTEBOOKS_BY_COST)

site: book

# Every page of the built site in headless Chromium: math rendered, images loaded, no request
# off the local host, no JavaScript error, no broken internal link; a screenshot in _build/site-check/.
site-check: site
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; else echo "ERROR: the site check needs Debian's chromium package (apt-get install chromium)" >&2; exit 1; fi; }
	$(BIN)/python tests/site_check.py _build/html --screenshot _build/site-check/chapter1.png
	$(BIN)/python tests/editions_check.py _build/html

# Re-run notebooks in place, store their outputs and stamp their fingerprint:
#   make execute NB=book/01_sigmoid_tanh.ipynb
# The widget state (the frame explorers' pictures and links) is stored in the notebook's
# metadata, where the site build reads it (nbclient's default, made explicit).
execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=True \
	  $(or $(NB),$(NOTEBOOKS))
	$(BIN)/python -m lectures_lib.course.fingerprint stamp $(or $(NB),$(NOTEBOOKS))

lab: $(STAMP)
	$(BIN)/jupyter lab book/

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_reference.py
	$(BIN)/python benchmarks/bench_grading.py

# A release, as the release workflow makes it on a tag vX.Y.Z (the same commands): VERSION
# must equal lectures_lib.__version__ and have a CHANGELOG.md entry (a tag names the code
# it tags, so this checks rather than sets the version). Run `make test` before tagging.
release: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z" >&2; exit 1; }
	$(BIN)/python -m lectures_lib.course.release check "$(VERSION)"
	rm -rf _build/release _build/assignments
	$(MAKE) book assignments
	$(BIN)/python -m lectures_lib.course.release bundle "$(VERSION)" _build/release

clean:
	rm -rf _build build book/_generated .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) site/node_modules
