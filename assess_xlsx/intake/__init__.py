"""Intake: the returned workbooks, from a folder to checked values.

contract.py  the fill-in sheet contract (sheet and header names, which files are workbooks)
guard.py     hostile-file checks, before any parser sees a file
extract.py   folder scan and workbook to records, on every core for many files
validate.py  normalise, merge a unit's files, cross-checks, the files table
"""

from ..errors import SubmissionsError
from .validate import FILE_COLUMNS, VALUE_COLUMNS, Submissions, read_submissions

__all__ = ["FILE_COLUMNS", "VALUE_COLUMNS", "SubmissionsError", "Submissions", "read_submissions"]
