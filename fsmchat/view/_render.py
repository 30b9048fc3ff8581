"""The page as one self-contained HTML file (jinja2, autoescape on).

Everything the page needs is inside it: the stylesheet, the script, the
diagram as inline SVG, the bench chart as a ``data:`` URI, and the page model as
JSON in a ``<script type="application/json">`` block (jinja2's ``tojson``
escapes ``<``, ``>``, ``&`` and ``'``, so no chat text can close the block). No
CDN, no network: it works offline and as a CI artifact.

Chat text reaches the page only inside that JSON; the script builds the DOM
from it with ``textContent``, so a message holding ``<script>`` shows as text.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from fsmchat.view._page import Page

__all__ = ["render_html"]


#: The scripts of each kind of page (``common.js`` first: the others use it).
_SCRIPTS = {
    "chat": ("common.js", "chat.js"),
    "bench": ("common.js", "bench.js"),
    "runs": ("common.js", "runs.js"),
}


def _asset(name: str) -> str:
    return resources.files("fsmchat.view").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_asset),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(page: Page, *, live: str | None = None, back: str | None = None) -> str:
    """Return the page as HTML text.

    Args:
        page: what to show.
        live: the Server-Sent Events URL of a live page (``None``: a file).
        back: the address of the index of runs this chat belongs to.
    """
    context: dict[str, Any] = {
        "model": page.model,
        "title": page.model.get("title", "fsmchat"),
        "source": page.model.get("source", ""),
        # Our own files and Graphviz's SVG (its text XML-escaped): markup by design.
        "css": Markup(_asset("viewer.css")),
        "js": [Markup(_asset(name)) for name in _SCRIPTS[str(page.model.get("kind"))]],
        "diagrams": {k: Markup(v) for k, v in page.diagrams.items()},
        "chart": page.chart,
        "notes": page.notes,
        "live": live,
        "back": back,
    }
    return _environment().get_template("page.html.j2").render(context)
