"""The layout's own rules, checked: data flows one way, modules stay small,
each part kind is named in one module only (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assess_xlsx"
PART_KINDS = ("flag", "per", "shortfall", "rate", "score", "level", "threshold", "rank_improvement", "rank_penalty")
# The same words meaning something else: the input kinds level and score, an
# outline level of xlsxwriter, the score command.
HOMONYMS = {("assess_xlsx.rules.inputs", "level"), ("assess_xlsx.rules.inputs", "score"),
            ("assess_xlsx.report.detail", "level"), ("assess_xlsx.report.city", "level"),
            ("assess_xlsx.report.summary", "level"), ("assess_xlsx.template", "level"), ("assess_xlsx.cli", "score"),
            ("assess_xlsx.xlsxbody", "level")}   # xlsxwriter's set_row option (outline level)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _runtime_imports(tree: ast.Module):
    """Import statements, leaving out those under `if TYPE_CHECKING:`."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in skip]


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in modules}
                continue
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules}
            if subs:
                deps |= subs
            if base in modules and len(subs) < len(node.names):
                deps.add(base)
        deps.discard(name)
        graph[name] = deps
    return graph


def test_no_import_cycle():
    graph = import_graph()
    cycles, state, stack = [], {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert cycles == []


def test_no_module_over_750_lines():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    assert {n: s for n, s in sizes.items() if s > 750} == {}


def test_each_part_kind_is_named_in_one_module():
    named: dict[str, set[str]] = {k: set() for k in PART_KINDS}
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and node.value in named and id(node) not in docstrings
                    and (name, node.value) not in HOMONYMS):
                named[node.value].add(name)
    assert named == {k: {"assess_xlsx.rules.parts"} for k in PART_KINDS}
