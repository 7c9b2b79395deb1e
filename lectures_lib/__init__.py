"""lectures_lib: reference implementations for the course "Training deep networks".

``import lectures_lib as L`` gives every public function and module class, flat
(``L.relu``, ``L.train``, ``L.claim``). The folders show the course:

- ``reference/``  the implementations a student reads and re-implements: activations,
  initialization, noise, dropout, maxout, batchnorm, optimizers, gradcheck
- ``lab/``        the experiment tools the chapters are built from (data, models,
  training, diagnostics, then one module or two per chapter)
- ``page/``       what the pages use: checked claims, glue, ``show_source``, figure
  style, explorers
- ``course/``     commands for maintainers and instructors (set-up cell, fingerprints,
  reader editions, assignments, the grader, releases); not imported here
- ``runtime``     the one thread setting, applied on import; ``_checks`` the argument
  checks every public function uses
"""

from .lab import *  # noqa: F401,F403
from .page import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .runtime import *  # noqa: F401,F403
from .runtime import use_course_threads

__version__ = "0.1.0"

# The course-wide thread setting (lectures_lib/runtime.py): one place, for every
# notebook, test and grader that imports the package.
use_course_threads()
