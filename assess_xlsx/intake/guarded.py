"""One untrusted workbook read whole, the reader's way: guarded, in a worker.

`read_guarded(path, parse)` is for a workbook given on its own (the user's
task-breakdown table for `scheme FILE` and `score --scheme`): the same guard
as the folder reader (size, encryption, OLE chains and extent of an .xls, the
zip inspection), then `parse(path, facts)` in a worker process that may die
(sandbox.py). `parse` must call `facts.measure(sheet)` before it parses a
sheet and pass over those in `facts.too_large` (facts is None for an .xls or
a file that is no zip). -> what `parse` returned, or a Refusal with the
reader's plain reason in Chinese and English.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding
from .biff import BiffRefused, check_xls
from .contract import READABLE
from .extract import failure_code, why_unreadable
from .guard import MAX_FILE_BYTES, MAX_SHEET_CELLS, ZipRefused, _mb, _ole_encrypted, inspect_zip


@dataclass(frozen=True)
class Refusal:
    """Why the workbook was not read: the reader's plain reason (findings.MESSAGES),
    in Chinese and in English."""
    zh: str
    en: str


def read_guarded(path: Path, parse):
    """`parse(path, facts)`'s value for a workbook read in a worker, or a Refusal."""
    from .sandbox import run_sandboxed

    outcome = run_sandboxed(functools.partial(_guarded, parse=parse), [str(path)], workers=1)[0]
    if outcome.ok:
        return outcome.value
    code, expected = failure_code(outcome.reason)
    return _refusal(code, expected=expected, note=outcome.detail)


def _refusal(code: str, **kw) -> Refusal:
    kw.setdefault("expected", READABLE)
    f = Finding(code, **kw)
    return Refusal(f.message_zh, f.message_en)


def _guarded(path: str, parse):
    """In the worker: the guard, then `parse`; every refusal as a Refusal."""
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        return _refusal("file-too-large", value=_mb(size), expected=_mb(MAX_FILE_BYTES))
    data = p.read_bytes()
    if not data:
        return _refusal("file-empty")
    if _ole_encrypted(data):
        return _refusal("file-encrypted")
    try:
        check_xls(data, MAX_SHEET_CELLS)
        facts = inspect_zip(data)
        if facts is not None and facts.eager and facts.too_large:
            sheet, (cells, far) = max(facts.too_large.items(), key=lambda kv: kv[1][0])
            raise ZipRefused("sheet-too-large", sheet=sheet, cell=far, value=f"A1:{far}", cells=cells)
        return parse(p, facts)
    except (BiffRefused, ZipRefused) as r:
        if r.cells:
            return _refusal(r.code, sheet=r.sheet, cell=r.cell, value=r.value, note=str(r.cells),
                            expected=str(MAX_SHEET_CELLS))
        return _refusal(r.code, note=r.note, value=r.value, sheet=r.sheet, cell=r.cell,
                        expected=r.expected or READABLE)
    except BaseException as exc:      # a Rust panic included: a refusal, never a traceback
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        if type(exc).__name__ == "PasswordError":
            return _refusal("file-encrypted")
        code, note = why_unreadable(data, exc)     # the reader's plain reasons, "CSV/text" and the like included
        return _refusal(code, note=note)
