"""Headless Chromium for the tests of HTML pages: what a browser shows of a page.

``headless(tmp_path, "--dump-dom", page.as_uri())`` runs the browser; a page that
carries :data:`SHOW_TEXT` before ``</body>`` gets its rendered text
(``innerText``) in ``<pre id="shown-text">``, which :class:`Shown` reads from the
dumped DOM. Import as ``from tests.browser import ...``.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


SHOW_TEXT = (
    "<script>document.addEventListener('DOMContentLoaded', () => {"
    "const out = document.createElement('pre'); out.id = 'shown-text';"
    "out.textContent = document.body.innerText; document.body.append(out);});</script>"
)


class Shown(HTMLParser):
    """The text of ``<pre id="shown-text">`` in a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = self.inside or (tag == "pre" and ("id", "shown-text") in attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


def headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    browser = chromium()
    assert browser is not None, "headless Chromium is not installed (apt-get install chromium)"
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1000,1600",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def as_shown(markdown: str) -> str:
    """Text as a browser shows it: code spans without their backticks, spaces collapsed."""
    return " ".join(markdown.replace("`", "").split())


def shown_text(tmp_path: Path, html: str, name: str = "page.html") -> str:
    """The text headless Chromium shows of ``html`` (white space collapsed)."""
    page = tmp_path / name
    page.write_text(html.replace("</body>", SHOW_TEXT + "</body>", 1), encoding="utf-8")
    proc = headless(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = Shown()
    parser.feed(proc.stdout)
    return " ".join(parser.text.split())
