"""AutoGen's ``autogen.coding.markdown_code_extractor``."""

from __future__ import annotations

from typing import Any

from fsmchat._core.codeblocks import extract_code_blocks
from fsmchat.autogen._utils import content_str
from fsmchat.autogen.code_utils import UNKNOWN, infer_lang
from fsmchat.autogen.coding.base import CodeBlock

__all__ = ["MarkdownCodeExtractor"]


class MarkdownCodeExtractor:
    """Finds the fenced code blocks of a message (fsmchat's CommonMark rules)."""

    def extract_code_blocks(self, message: Any) -> list[CodeBlock]:
        """Return the message's code blocks, in order (none for ``None``).

        A block keeps its tag as written; an untagged block gets the language
        :func:`~fsmchat.autogen.code_utils.infer_lang` infers (``""`` if unknown).
        """
        if message is None:
            return []
        found = []
        for block in extract_code_blocks(content_str(message)):
            language = block.info.split()[0] if block.info else infer_lang(block.code)
            found.append(
                CodeBlock(
                    code=block.code, language="" if language == UNKNOWN else language
                )
            )
        return found
