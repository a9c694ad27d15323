"""The scoring rules as data: a small vocabulary of part and input kinds with parameters.

model.py  the frozen dataclasses (InputSpec, Part, RowRule, ItemRule, RuleBook)
load.py   the rules TOML (data/rules-2022.toml) to a RuleBook
parts.py  each part kind once: parameters, computation, sentence, figures, phrasings
inputs.py each input kind once: normalising, expected form, validation, display
draft.py  drafting one sentence of a table's text into parts, by the kinds' phrasings
drafting.py  a whole table's draft as a rules file (TOML) and as JSON

Nothing here knows a particular indicator; the scorer applies each part kind
as one column operation over all units.
"""

from ..errors import RuleError
from ..labels import NO, YES
from .inputs import INPUT_KINDS
from .load import build_rules, default_rules_path, load_rules
from .model import InputSpec, ItemRule, Part, RowRule, RuleBook
from .parts import KINDS as PART_KINDS

__all__ = ["INPUT_KINDS", "NO", "PART_KINDS", "YES", "InputSpec", "ItemRule", "Part", "RowRule", "RuleBook",
           "RuleError", "build_rules", "default_rules_path", "load_rules"]
