"""The course's one thread setting, applied when ``lectures_lib`` is imported.

The networks in this course are tiny: one thread per process is as fast as several,
keeps two test workers from fighting over two cores, and makes a notebook compute the
same way in JupyterLab, on Colab, under ``make execute`` and under nbval. So importing
the package sets PyTorch's intra-op threads and the BLAS/OpenMP pools that numpy uses to
``course_threads()``: 1, unless the environment variable ``LECTURES_LIB_THREADS`` asks
for more. Chapters therefore never call ``torch.set_num_threads`` themselves.
"""

from __future__ import annotations

import os

import torch

__all__ = ["THREADS_VARIABLE", "course_threads", "use_course_threads"]

#: The environment variable that overrides the course's thread count.
THREADS_VARIABLE = "LECTURES_LIB_THREADS"


def course_threads() -> int:
    """The number of threads the course computes on: ``$LECTURES_LIB_THREADS`` or 1."""
    text = os.environ.get(THREADS_VARIABLE, "1").strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"{THREADS_VARIABLE} must be a whole number >= 1, got {text!r}"
        )
    return int(text)


def use_course_threads() -> int:
    """Set PyTorch and the BLAS/OpenMP pools (numpy, scikit-learn) to
    ``course_threads()``.

    Returns the thread count. Called once by ``import lectures_lib``.
    """
    from threadpoolctl import threadpool_limits

    threads = course_threads()
    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)
    return threads
