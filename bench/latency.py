"""The one percentile every benchmark's p50/p90/p99 comes from, so their tables compare.

Nearest rank: the smallest sample such that at least ``q`` of all samples are at or
below it (``ordered[ceil(q * n) - 1]``). It is always a measured value, never an
interpolation, and for p99 of fewer than 100 samples it is the maximum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(samples: Iterable[float], q: float) -> float:
    """The ``q`` (0 < q <= 1) nearest-rank percentile of ``samples`` (at least one)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("percentile of no samples")
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    rank = math.ceil(round(q * len(ordered), 9))  # round: 0.07 * 100 is 7.000000000000001
    return ordered[max(0, rank - 1)]
