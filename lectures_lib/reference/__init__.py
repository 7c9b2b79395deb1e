"""The reference implementations: what a student reads, re-implements and is graded on.

Each module is one idea, written from its paper and tested against PyTorch:

- ``activations``     sigmoid ... gelu, each with ``*_grad``; softmax (Chapters 1-3)
- ``initialization``  Glorot, He, LeCun initializers (Chapter 4)
- ``noise``           Gaussian input noise and its L2 penalty (Chapter 5)
- ``dropout``         standard and inverted dropout (Chapter 6)
- ``maxout``          maxout units (Chapter 7)
- ``batchnorm``       batch normalization, forward and hand-written backward (Chapter 8)
- ``optimizers``      SGD, momentum, AdaGrad, RMSProp, Adam, AdamW, clipping (Chapter 9)
- ``gradcheck``       numerical gradients, relative error
"""

from .activations import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .initialization import *  # noqa: F401,F403
from .maxout import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
