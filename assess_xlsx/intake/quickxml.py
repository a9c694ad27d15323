"""XML as calamine's reader (quick-xml) reads it, for guard.py's inspection.

Tokens, tag names, attributes and cell references read the way quick-xml
and calamine read them, whatever the bytes hold: an element is known by its
local name (any prefix, 'x:', 'é:' or ':', makes <x:c ...> a cell), a
quoted '>' does not end a tag, a tag never closed ends the reading. Kept
apart from guard.py's decisions (what is refused, what is measured).
"""

from __future__ import annotations

import html
import re

from ..cellref import col_index

ATTR = re.compile(rb"""(?:^|\s)(?P<name>[\w.:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
# calamine (quick-xml) knows an element by its local name: what follows the first
# ':' of the tag name, the name running to the first space, tab, CR or LF. Any
# prefix, 'x:', 'é:' or ':', makes <x:c ...> a cell.
NS = rb"(?:(?:[^ \t\r\n<>:/!?][^ \t\r\n<>:]*)?:)?"
# One token of XML as quick-xml reads it: a comment to the first '-->', CDATA
# to ']]>', a processing instruction to '?>', a tag (start or end) to its
# first '>' outside quotes.
TOKEN = re.compile(rb"""<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(?:[^>"']|"[^"]*"|'[^']*')*>""", re.S)
TAG_NAME = re.compile(rb"[^ \t\r\n]*")
R_ATTR = re.compile(rb"""(?:^|[^\w.:-])r\s*=\s*(?:"([^"]*)"|'([^']*)')""")   # every r=, as quick-xml may read one
CELL_REF = re.compile(rb"^([A-Za-z]+)([0-9]+)$")
ROW_REF = re.compile(rb"^[A-Za-z]*([0-9]+)$")


def parse_attrs(raw: bytes) -> dict[bytes, str]:
    """A tag's attributes, name -> value with entities resolved."""
    out = {}
    for m in ATTR.finditer(raw):
        v = m.group("dq") if m.group("dq") is not None else m.group("sq")
        out[m.group("name")] = html.unescape(v.decode("utf-8", "replace")) if b"&" in v else v.decode("utf-8", "replace")
    return out


def local_name(name: bytes) -> bytes:
    """What follows the last ':' of a name."""
    return name.rsplit(b":", 1)[-1]


def attr(attrs: dict[bytes, str], local: bytes) -> str | None:
    """The value of the attribute whose local name is `local`, whatever its prefix."""
    for k, v in attrs.items():
        if local_name(k) == local:
            return v
    return None


def plain_tag(attrs: bytes) -> bool:
    """No attribute given twice and no entity or character reference in any value."""
    found = [m.group("name") for m in ATTR.finditer(attrs)]
    return len(found) == len(set(found)) and b"&" not in attrs


def xml_tags(body: bytes):
    """Every tag of `body` in order, read as quick-xml reads XML (see TOKEN):
    (match, local name, name, content between '<' or '</' and '>', end tag?,
    empty element?). Comments, CDATA and processing instructions are passed
    over; where quick-xml would fail (a tag never closed), this stops. One
    pass, whatever the XML holds."""
    pos = body.find(b"<")
    while pos >= 0:
        m = TOKEN.match(body, pos)
        if m is None:
            return
        pos = body.find(b"<", m.end())
        token = m.group()
        if token[1:2] in (b"!", b"?"):
            continue
        end_tag = token[1:2] == b"/"
        content = token[2:-1] if end_tag else token[1:-1]
        empty = not end_tag and content.endswith(b"/")
        name = TAG_NAME.match(content).group()
        local = name.split(b":", 1)[-1] if b":" in name else name
        if empty and local.endswith(b"/"):
            local = local[:-1]
        yield m, local, name, content, end_tag, empty


def r_values(content: bytes):
    for m in R_ATTR.finditer(content):
        yield m.group(1) if m.group(1) is not None else m.group(2)


def cell_ref(value: bytes) -> tuple[int, int] | None:
    """(row, column), 0-based, as calamine reads an r attribute; None where it fails."""
    m = CELL_REF.match(value)
    if m is None or int(m.group(2)) == 0:
        return None
    return int(m.group(2)) - 1, col_index(m.group(1).decode("ascii"))


def row_ref(value: bytes) -> int | None:
    m = ROW_REF.match(value)
    return int(m.group(1)) - 1 if m and int(m.group(1)) > 0 else None
