"""Process-level tools for CPU-heavy work: daemon threads and the cyclic garbage collector.

Services never import this package: the composition root (``app.bootstrap``) hands
``BackgroundCompute`` to the read models that need it, as their ``ComputeRunner``
(``app.services.ports``).
"""

from app.compute.background import BackgroundCompute
from app.compute.collector import collector_paused
from app.compute.threads import off_loop

__all__ = ["BackgroundCompute", "collector_paused", "off_loop"]
