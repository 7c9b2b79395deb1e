"""Course tooling, run as commands (``python -m lectures_lib.course.<tool>``) and not
imported by ``import lectures_lib``:

- ``launch``       the chapters' set-up cell (Colab, Binder, local)
- ``fingerprint``  the stale-output guard of ``make test``
- ``buildinfo``    the site's "Build information" page
- ``reader``       reader editions (no MyST markup) for JupyterLab, Colab, Binder
- ``assign``       student notebooks and autograder tests (nbgrader markers)
- ``grade``        the grader; ``sandbox``, ``_sandbox_child`` and ``wire`` contain the
  submission; ``gradescope`` the Gradescope bundles
- ``release``      the version, the published wheel, release files
"""
