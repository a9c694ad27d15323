import pytest

from assess_xlsx.rules.load import default_rules_path
from assess_xlsx.scheme import read_scheme


@pytest.fixture(scope="session")
def scheme():
    """The embedded 2022 scheme, read once."""
    return read_scheme()


@pytest.fixture(scope="session")
def self_rules(tmp_path_factory):
    """The 2022 rules with every input filled by the unit itself (被考核单位).

    For the tests of the unit form's reading and layout: how a workbook is
    found, read and normalised does not depend on who fills which input, and
    with every input on the unit's form nothing is refused or owed. Who fills
    what is tested with the real rules (test_who_fills.py, test_samples.py)."""
    text = default_rules_path().read_text(encoding="utf-8")
    lines = ['filled_by = "被考核单位"' if line.startswith("filled_by = ") else line for line in text.split("\n")]
    path = tmp_path_factory.mktemp("rules") / "rules-all-self.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def self_scheme(self_rules):
    """The 2022 scheme with `self_rules` attached."""
    return read_scheme(rules=self_rules)
