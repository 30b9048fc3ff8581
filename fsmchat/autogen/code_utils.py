"""AutoGen's ``autogen.code_utils``: the code helpers programs call.

``extract_code`` finds fenced blocks with fsmchat's CommonMark rules (AutoGen
uses a regular expression): each block is ``(language, code)`` with the tag as
written (``""`` when untagged); text without blocks is ``[("unknown", text)]``.
Running code goes through the agents' code runners (see
:mod:`fsmchat.autogen.coding`), not through a ``code_utils`` function.
"""

from __future__ import annotations

from typing import Any

from fsmchat._core.codeblocks import extract_code_blocks, infer_language
from fsmchat.autogen._utils import content_str

__all__ = [
    "CODE_BLOCK_PATTERN",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "FAST_MODEL",
    "PYTHON_VARIANTS",
    "TIMEOUT_MSG",
    "UNKNOWN",
    "content_str",
    "extract_code",
    "infer_lang",
]

DEFAULT_MODEL = "gpt-4"
FAST_MODEL = "gpt-3.5-turbo"
#: AutoGen's pattern for a fenced block (kept for programs that pass it on).
CODE_BLOCK_PATTERN = r"```[ \t]*(\w+)?[ \t]*\r?\n(.*?)\r?\n[ \t]*```"
UNKNOWN = "unknown"
TIMEOUT_MSG = "Timeout"
DEFAULT_TIMEOUT = 600
PYTHON_VARIANTS = ["python", "Python", "py"]


def infer_lang(code: str) -> str:
    """``"sh"``, ``"python"`` or ``"unknown"`` for an untagged block."""
    if code.startswith(("python ", "python3 ", "pip")):
        return "sh"
    return infer_language(code) or UNKNOWN


def extract_code(
    text: str | list[Any] | None, pattern: str = CODE_BLOCK_PATTERN, **_: Any
) -> list[tuple[str, str]]:
    """The ``(language, code)`` of each fenced block; ``[("unknown", text)]`` if none.

    ``pattern`` is accepted for AutoGen's signature; blocks are found by
    fsmchat's fence rules.
    """
    text = content_str(text)
    blocks = extract_code_blocks(text)
    if not blocks:
        return [(UNKNOWN, text)]
    return [(b.info.split()[0] if b.info else "", b.code) for b in blocks]
