"""Intake: the returned workbooks, from a folder to checked values.

contract.py  the fill-in sheet contract (sheet and header names, which files are workbooks)
guard.py     hostile-file checks on a zipped workbook, before any parser sees it
quickxml.py  XML tokens, attributes and cell references as calamine's reader reads them (for guard.py)
biff.py      the same for an .xls (OLE chains, FILEPASS, extent)
sandbox.py   worker processes that may die: memory ceiling, time limit, started once per run
extract.py   folder scan and a unit's workbook to records
assessed.py  an assessor's sheet (核定表, one column per unit) to records
pool.py      every workbook of a run read in the sandbox's workers
guarded.py   one untrusted workbook (a user's scheme table): guard, then a parser in the sandbox
validate.py  normalise, merge a unit's files, cross-checks, the files table
"""

from ..errors import SubmissionsError

__all__ = ["FILE_COLUMNS", "VALUE_COLUMNS", "SubmissionsError", "Submissions", "read_submissions"]


def __getattr__(name: str):
    # validate.py (pandas) is imported when first asked for: the reading
    # workers start from pool.py before pandas is loaded (lazy.py).
    if name in __all__:
        from . import validate

        return getattr(validate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
