"""``fsmchat view``: a chat (or a bench run) as one self-contained HTML page.

The page shows the spec's diagram with the path lit, a timeline of steps, and
for each step its message and routing Decision; a live server follows a record
while it is written. A bench folder gives a dashboard, a folder of chats an
index of runs (:func:`build_runs`, :class:`RunsServer`). Build a page with :func:`build_page`, write it with
:func:`render_html`, or serve one with :class:`LiveServer`.
"""

from fsmchat.view._load import SpecNeeded, is_bench_folder
from fsmchat.view._page import Page, build_chat_page, build_page
from fsmchat.view._render import render_html
from fsmchat.view._runs import Runs, build_runs
from fsmchat.view._serve import LiveServer, RunsServer

__all__ = [
    "LiveServer",
    "Page",
    "Runs",
    "RunsServer",
    "SpecNeeded",
    "build_chat_page",
    "build_page",
    "build_runs",
    "is_bench_folder",
    "render_html",
]
