"""A local Hevo Edge API (aiohttp.web on 127.0.0.1) with scriptable job outcomes and faults.

Tests, the demo and the benchmarks run against it because Hevo itself is out of reach. It shares no
code with the client in :mod:`hevo_dagfactory.hevo`, so a misreading of the API in one is not silently
mirrored by the other.
"""

from .script import PipelineScript
from .server import Simulator, http_date

__all__ = ["PipelineScript", "Simulator", "http_date"]
