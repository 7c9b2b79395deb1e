"""lectures_lib: reference implementations for the course "Training deep networks".

``import lectures_lib as L`` gives every public function and module class. One idea
per module:

- ``activations``     sigmoid ... gelu, each with ``*_grad``; softmax (Chapters 1-3)
- ``initialization``  Glorot, He, LeCun initializers (Chapter 4)
- ``noise``           Gaussian input noise and its L2 penalty (Chapter 5)
- ``dropout``         standard and inverted dropout (Chapter 6)
- ``maxout``          maxout units (Chapter 7)
- ``batchnorm``       batch normalization, forward and hand-written backward (Chapter 8)
- ``optimizers``      SGD, momentum, AdaGrad, RMSProp, Adam, AdamW, clipping (Chapter 9)
- ``gradcheck``       numerical gradients, relative error
- ``diagnostics``     dead units, gradient norms, saturation, update ratios (via hooks)
- ``runtime``         the one thread setting, applied on import
- ``data``, ``models``, ``training``, ``plotting``, ``book``: the chapters' shared tools
"""
from .ablation import *  # noqa: F401,F403
from .activations import *  # noqa: F401,F403
from .approximation import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .bn_analysis import *  # noqa: F401,F403
from .bn_placement import *  # noqa: F401,F403
from .book import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .diagnostics import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .family import *  # noqa: F401,F403
from .ensembles import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .initialization import *  # noqa: F401,F403
from .init_analysis import *  # noqa: F401,F403
from .linear_models import *  # noqa: F401,F403
from .maxout import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .optim_analysis import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .piecewise import *  # noqa: F401,F403
from .plotting import *  # noqa: F401,F403
from .prose import *  # noqa: F401,F403
from .propagation import *  # noqa: F401,F403
from .runtime import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from .widgets import *  # noqa: F401,F403
from .saturation import *  # noqa: F401,F403

__version__ = "0.1.0"

# The course-wide thread setting (lectures_lib/runtime.py): one place, for every notebook,
# test and grader that imports the package.
use_course_threads()
