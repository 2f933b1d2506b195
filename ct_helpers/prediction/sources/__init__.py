"""Named sources of target maps; each module registers itself with ``register_target_source``."""

from . import mri, neuromaps

__all__ = ["mri", "neuromaps"]
