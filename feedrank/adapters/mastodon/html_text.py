"""The HTML ``content`` of a Mastodon status as plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SPACE = re.compile(r"[ \t\r\n\f]+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0

    def _newlines(self, count: int) -> None:
        text = "".join(self.parts[-3:])
        have = len(text) - len(text.rstrip("\n"))
        if self.parts and have < count:
            self.parts.append("\n" * (count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._newlines(1 if tag == "li" else 2)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCKS:
            self._newlines(1 if tag == "li" else 2)

    def handle_data(self, data: str) -> None:
        if not self.pre:
            data = _SPACE.sub(" ", data)
            if not self.parts or self.parts[-1].endswith(("\n", " ")):
                data = data.lstrip(" ")
        if data:
            self.parts.append(data)


def html_to_text(content: str) -> str:
    """Plain text of a status's HTML ``content`` (standard library ``html.parser``).

    Paragraphs are separated by a blank line, ``<br>`` becomes a line break,
    entities are decoded, runs of whitespace collapse (except inside ``<pre>``),
    tags are dropped and their text kept, so Mastodon's link markup (the
    ``invisible`` spans around a shortened URL) reads back as the whole URL.

    >>> html_to_text('<p>Hi &amp; welcome<br>to <a href="https://x.example/a/b">'
    ...              '<span class="invisible">https://</span><span class="ellipsis">'
    ...              'x.example/a</span><span class="invisible">/b</span></a></p><p>Bye</p>')
    'Hi & welcome\\nto https://x.example/a/b\\n\\nBye'
    """
    parser = _TextParser()
    parser.feed(content)
    parser.close()
    lines = [line.rstrip(" ") for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
