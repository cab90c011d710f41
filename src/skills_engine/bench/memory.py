"""Peak memory of this process, the one figure every benchmark reports beside its timings."""

from __future__ import annotations

import resource
import sys


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux and bytes on macOS.
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)
