"""The experiment tools the chapters are built from, shared first, then by chapter.

- shared: ``data`` (bundled digits, synthetic sets), ``models`` (MLP builders),
  ``training`` (the seeded loop), ``diagnostics`` (dead units, gradient norms,
  saturation)
- Chapter 1 ``saturation``; 2 ``approximation``; 3 ``family``; 4 ``propagation``,
  ``init_analysis``; 5 ``linear_models``; 6 ``ensembles``; 7 ``piecewise``;
  8 ``bn_analysis``, ``bn_placement``; 9 ``optim_analysis``; 10 ``ablation``
"""

from .ablation import *  # noqa: F401,F403
from .approximation import *  # noqa: F401,F403
from .bn_analysis import *  # noqa: F401,F403
from .bn_placement import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .diagnostics import *  # noqa: F401,F403
from .ensembles import *  # noqa: F401,F403
from .family import *  # noqa: F401,F403
from .init_analysis import *  # noqa: F401,F403
from .linear_models import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .optim_analysis import *  # noqa: F401,F403
from .piecewise import *  # noqa: F401,F403
from .propagation import *  # noqa: F401,F403
from .saturation import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
