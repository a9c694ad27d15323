"""Submissions built in memory, for scoring tests that need no workbook.

    from inputs import CLEAN_INPUTS, submissions_from
    sub = submissions_from(scheme, {"太原市": {"3.3.10a": 20, "3.3.10b": 100}})

Each unit's values start from CLEAN_INPUTS (every requirement met, no bonus:
base 100, total 100) and are normalised by the reader's own `normalise`, so
"4%" or "是" mean here what they mean in a workbook. A value the reader would
refuse fails the test at once rather than being scored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from assess_xlsx.findings import Report
from assess_xlsx.roster import DEFAULT_ROSTER, Roster
from assess_xlsx.intake import VALUE_COLUMNS, Submissions
from assess_xlsx.rules.inputs import normalise

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from sample_cities import CLEAN as CLEAN_INPUTS  # noqa: E402


def submissions_from(scheme, units: dict[str, dict[str, object]], roster: Roster = DEFAULT_ROSTER,
                     rejected: dict[str, str] | None = None) -> Submissions:
    """Units of `units` send their values; `rejected` units send a file with an error; the rest are missing."""
    rules = scheme.rules
    order = {code: k for k, code in enumerate(rules.inputs)}
    records = []
    for unit, changes in units.items():
        values = dict(CLEAN_INPUTS)
        values.update(changes)
        for code, value in values.items():
            if value in ("", None):
                continue
            records.append({"city": unit, "code": code, "value": value, "file": f"{unit}.xlsx",
                            "sheet": "填报表", "cell": f"G{order[code] + 5}"})
    cells = pd.DataFrame(records, columns=["city", "code", "value", "file", "sheet", "cell"])
    cells["value"] = cells["value"].astype(object)
    norm = normalise(cells["code"], cells["value"], rules)
    bad = norm[norm["problem"] != ""]
    assert bad.empty, f"values the reader refuses: {bad.assign(code=cells['code']).head(5).to_dict('records')}"
    values = pd.concat([cells.drop(columns="value"), norm[["number", "text", "raw"]]], axis=1)[VALUE_COLUMNS]
    values["number"] = values["number"].astype("Int64")
    report = Report()
    for unit, code in (rejected or {}).items():
        report.add("input-missing", file=f"{unit}.xlsx", sheet="填报表", cell="G9", city=unit, input=code)
    sent = set(units) | set(rejected or {})
    files = pd.DataFrame({"file": [f"{u}.xlsx" for u in sent], "city": list(sent), "status": "read",
                          "inputs": 0, "problems": 0, "sha256": ""})
    missing = [u for u in roster.units if u not in sent]
    return Submissions(values=values, report=report, files=files, missing=missing, roster=roster, folder="")
