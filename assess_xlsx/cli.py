"""The command line: the only place library errors become click errors.

Every command's docstring carries an Example block; messages are Chinese with
the English beside them. Exit codes: 0 all clean, 1 something wrong or
missing (output still written unless --strict), 2 usage error.
"""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="assess-xlsx")
def cli():
    """assess-xlsx：按考核方案为各单位评分、排名（政务公开考核）。

    Score and rank units from an assessment scheme and a folder of filled
    Excel workbooks.

    \b
    Example:
        assess-xlsx score samples/
    """
