from assess_xlsx.rules import load_rules


def test_rule_book_counts():
    book = load_rules()
    assert len(book.rows) == 52
    assert sum(1 for r in book.rows.values() if r.points is None) == 6
    assert sum(r.points for r in book.rows.values() if r.points) == 10000
    assert list(book.items) == [f"10.{i}" for i in range(1, 7)] + [f"11.{i}" for i in range(1, 8)]


def test_the_rules_file_is_built_once_for_the_same_bytes(tmp_path):
    """A run loads its rules twice (reading begins before the scheme is read):
    the same file's same bytes give the very same book; other bytes a new one."""
    from assess_xlsx.rules.load import default_rules_path, load_rules

    path = tmp_path / "rules.toml"
    text = default_rules_path().read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    book = load_rules(path)
    assert load_rules(path) is book
    path.write_text(text.replace('name = "', 'name = "改 ', 1), encoding="utf-8")
    changed = load_rules(path)
    assert changed is not book and changed.name == "改 " + book.name
