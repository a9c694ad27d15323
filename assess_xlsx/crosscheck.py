"""Cross-check of the figures written in the rule text against the rules (in progress)."""


def cross_check(frame, book, file, sheet):
    return []
