"""The deflate implementation behind every zip part read or written here.

zlib-ng where it is installed: the same deflate format and CRC-32 as zlib, in
about half the time to inflate a workbook's parts (the largest share of the
inspection of a filled form) and to deflate a streamed sheet, and with
crc32_combine in C. Else the standard zlib, and the pure-Python crc32_combine
of xlsxbody.py.
"""

from __future__ import annotations

try:
    from zlib_ng import zlib_ng as z
except ImportError:      # pragma: no cover - a platform without its wheel
    import zlib as z

# The streamed sheets' level: zlib-ng's level 1 is a cruder strategy (a quarter
# larger than zlib's 1); its level 2 is smaller than zlib's 1 and still faster.
FAST_LEVEL = 2 if z.__name__ != "zlib" else 1

__all__ = ["FAST_LEVEL", "z"]
