"""What the book's pages use around the science: ``book`` (checked claims, glued
numbers, ``show_source``), ``prose`` (counts in sentences), ``plotting`` (the figure
style) and ``widgets`` (explorers, and their frame stand-ins on the static site).
"""

from .book import *  # noqa: F401,F403
from .plotting import *  # noqa: F401,F403
from .prose import *  # noqa: F401,F403
from .widgets import *  # noqa: F401,F403
