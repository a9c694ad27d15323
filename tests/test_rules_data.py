from assess_xlsx.rules import load_rules


def test_rule_book_counts():
    book = load_rules()
    assert len(book.rows) == 52
    assert sum(1 for r in book.rows.values() if r.points is None) == 6
    assert sum(r.points for r in book.rows.values() if r.points) == 10000
    assert list(book.items) == [f"10.{i}" for i in range(1, 7)] + [f"11.{i}" for i in range(1, 8)]
