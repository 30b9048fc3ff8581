"""Small helpers shared by the facade, and the utils AutoGen programs import.

``content_str``, ``parse_tags_from_content`` and ``consolidate_chat_info`` are
AutoGen's (``autogen.agentchat.utils``). The others are the facade's single
helper for each idea: an OpenAI-name sanitiser (:func:`oai_name`), a
"did you mean" (:func:`did_you_mean`) and a short repr (:func:`short_repr`),
both the core's (:mod:`fsmchat._core.text`), and a message normaliser (:func:`message_to_dict`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fsmchat._core.text import did_you_mean, short_repr
from fsmchat.autogen._exceptions import InvalidMessage

__all__ = [
    "SUMMARY_METHODS",
    "consolidate_chat_info",
    "content_str",
    "did_you_mean",
    "message_to_dict",
    "name_of",
    "oai_name",
    "parse_tags_from_content",
    "short_repr",
]

SUMMARY_METHODS = ("last_msg", "reflection_with_llm")
_OAI_NAME = re.compile(r"[^A-Za-z0-9_-]")


def oai_name(name: str) -> str:
    """``name`` as OpenAI accepts it in a message or a tool: ``[A-Za-z0-9_-]{1,64}``."""
    return _OAI_NAME.sub("_", name)[:64] or "_"


def name_of(obj: Any) -> str | None:
    """The name of an agent object, or the string itself (``None`` otherwise)."""
    if isinstance(obj, str):
        return obj
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else None


def message_to_dict(message: Any) -> dict[str, Any]:
    """A message as a dict: a string becomes ``{"content": text}`` (AutoGen's rule).

    Raises:
        InvalidMessage: (a ``ValueError``) neither a string nor a dict.
    """
    if isinstance(message, str):
        return {"content": message}
    if isinstance(message, Mapping):
        return dict(message)
    msg = f"a message must be a str or a dict, got {type(message).__name__}: {short_repr(message)}"
    raise InvalidMessage(msg)


def content_str(content: str | list[Any] | None) -> str:
    """The text of a message's ``content``: a string, ``None`` (``""``) or OpenAI parts.

    Raises:
        TypeError: ``content`` is of another type, or a part is not a dict.
        ValueError: a part has an unknown ``type``.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        msg = f"content must be None, string, or list, but got {type(content)}"
        raise TypeError(msg)
    out = ""
    for item in content:
        if not isinstance(item, dict):
            msg = "Wrong content format: every element should be dict if the content is a list."
            raise TypeError(msg)
        kind = item.get("type")
        if kind == "text":
            out += str(item.get("text", ""))
        elif kind == "image_url":
            out += "<image>"
        else:
            msg = f"Wrong content format: unknown type {kind} within the content"
            raise ValueError(msg)
    return out


def parse_tags_from_content(
    tag: str, content: str | list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``<tag ...>`` occurrences in ``content`` (AutoGen's, e.g. ``<img path>``).

    AutoGen's reading, to the letter: the tag name, one space, then everything
    up to the first ``>``. Words split on spaces; a word ``key="..."`` (or
    ``'...'``) starts an attribute and the words after it, up to the next such
    word, continue its value; everything else (words before the first
    attribute, ``key=value`` without quotes) is joined with spaces into ``src``.

    Returns:
        One dict per occurrence: ``tag``, ``attr`` and ``match`` (the ``re.Match``).

    Raises:
        ValueError: ``content`` is neither a string nor a list of parts.
    """
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        texts = [str(p["text"]) for p in content if p.get("type") == "text"]
    else:
        msg = f"content must be str or list, but got {type(content)}"
        raise ValueError(msg)
    pattern = re.compile(f"<{tag} (.*?)>")
    return [
        {"tag": tag, "attr": _tag_attrs(match.group(1).strip()), "match": match}
        for text in texts
        for match in pattern.finditer(text)
    ]


def _quoted_attr(word: str) -> bool:
    _, eq, value = word.partition("=")
    return bool(eq) and value[:1] in ("'", '"')


def _tag_attrs(body: str) -> dict[str, str]:
    items: list[str] = []
    for word in re.findall(r"[^ ]+", body):
        if _quoted_attr(word) or not items:
            items.append(word)
        else:
            items[-1] += f" {word}"
    attrs: dict[str, str] = {}
    for item in items:
        if _quoted_attr(item):
            key, _, value = item.partition("=")
            attrs[key] = value[1:-1]
        else:
            attrs["src"] = f"{attrs['src']} {item}" if "src" in attrs else item
    return attrs


def consolidate_chat_info(
    chat_info: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    uniform_sender: Any = None,
) -> None:
    """Check the chats of ``initiate_chat(s)`` as AutoGen does.

    Raises:
        AssertionError: a chat has no ``sender`` or ``recipient``, or an unknown
            ``summary_method``, or ``reflection_with_llm`` without any model.
    """
    chats: Iterable[Mapping[str, Any]] = (
        [chat_info] if isinstance(chat_info, Mapping) else chat_info
    )
    for c in chats:
        if uniform_sender is None:
            if "sender" not in c:
                msg = "sender must be provided."
                raise AssertionError(msg)
            sender = c["sender"]
        else:
            sender = uniform_sender
        if "recipient" not in c:
            msg = "recipient must be provided."
            raise AssertionError(msg)
        method = c.get("summary_method")
        if not (method is None or callable(method) or method in SUMMARY_METHODS):
            msg = (
                "summary_method must be a string chosen from 'reflection_with_llm' or "
                "'last_msg' or a callable, or None."
            )
            raise AssertionError(msg)
        if method == "reflection_with_llm" and not (
            _has_model(sender) or _has_model(c["recipient"])
        ):
            msg = (
                "llm client must be set in either the recipient or sender when "
                "summary_method is reflection_with_llm."
            )
            raise AssertionError(msg)


def _has_model(agent: Any) -> bool:
    return bool(getattr(agent, "has_llm", False))
