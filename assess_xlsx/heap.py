"""Memory the process has freed, given back to the system.

glibc's malloc keeps what a program frees for its next allocations instead of
returning it, unless it lies at the top of the heap. After reading and scoring
a national run, ~60 MB of the process is such freed memory (pandas' and
calamine's buffers, most under the size malloc maps on its own), and the
process's resident size, the figure a machine's memory limit counts, never
comes down from its peak. malloc_trim(0) returns those pages. Elsewhere (no
glibc: macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):       # not glibc (musl has no malloc_trim)
        return None


_malloc_trim = _trim()


def give_back() -> bool:
    """Return freed memory to the system where the C library allows it; whether it could."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True
