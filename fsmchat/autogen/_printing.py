"""What agents print and what they send to a model, in AutoGen's shapes.

:func:`print_received` is the text a receiving agent prints (AutoGen's
``_print_received_message``, without colours)::

    sender (to receiver):

    content

    --------------------------------------------------------------------------------

:func:`llm_messages` turns a conversation into OpenAI messages: tool results one
message each, ``context`` templates filled in, names made valid for OpenAI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fsmchat.autogen._utils import content_str, oai_name

__all__ = ["instantiate", "llm_messages", "print_received"]

RULE = "-" * 80


def instantiate(
    template: Any,
    context: Mapping[str, Any] | None,
    allow_format_str_template: bool = False,
) -> Any:
    """A message's content with its ``context`` (AutoGen's rule: a callable is
    called with the context; a string is formatted only when allowed)."""
    if not context or template is None:
        return template
    if isinstance(template, str):
        return template.format(**context) if allow_format_str_template else template
    if callable(template):
        return template(context)
    return template


def _call_lines(kind: str, ident: str, call: Mapping[str, Any]) -> list[str]:
    head = f"***** Suggested {kind}{ident}: {call.get('name', '(No function name found)')} *****"
    return [
        head,
        "Arguments: \n" + str(call.get("arguments", "(No arguments found)")),
        "*" * len(head),
    ]


def _body(message: Mapping[str, Any], llm_config: Any) -> list[str]:
    role = message.get("role")
    lines: list[str] = []
    if message.get("tool_responses"):
        for response in message["tool_responses"]:
            lines += _body(response, llm_config)
        if role == "tool":
            return lines
    if role in ("function", "tool"):
        key = "name" if role == "function" else "tool_call_id"
        head = f"***** Response from calling {role} ({message.get(key, 'No id found')}) *****"
        return [*lines, head, content_str(message.get("content")), "*" * len(head)]
    content = message.get("content")
    if content is not None:
        if "context" in message:
            allow = bool(
                llm_config and llm_config.get("allow_format_str_template", False)
            )
            content = instantiate(content, message["context"], allow)
        lines.append(content_str(content))
    if message.get("function_call"):
        lines += _call_lines("function call", "", dict(message["function_call"]))
    for call in message.get("tool_calls") or ():
        lines += _call_lines(
            "tool call",
            f" ({call.get('id', 'No tool call id found')})",
            dict(call.get("function", {})),
        )
    return lines


def print_received(
    message: Mapping[str, Any], sender: str, receiver: str, llm_config: Any = None
) -> str:
    """The text printed when ``receiver`` gets ``message`` from ``sender``.

    A tool message prints its header, then each response as a received message
    of its own (header and rule included), as AutoGen does.
    """
    if message.get("role") == "tool" and message.get("tool_responses"):
        return "\n".join(
            [
                f"{sender} (to {receiver}):",
                "",
                *(
                    print_received(r, sender, receiver, llm_config)
                    for r in message["tool_responses"]
                ),
            ]
        )
    return "\n".join(
        [f"{sender} (to {receiver}):", "", *_body(message, llm_config), "", RULE]
    )


def llm_messages(
    messages: Sequence[Mapping[str, Any]], *, allow_format: bool = False
) -> list[dict[str, Any]]:
    """The OpenAI messages for a conversation (see the module docstring)."""
    context = messages[-1].get("context") if messages else None
    out: list[dict[str, Any]] = []
    for m in messages:
        for response in m.get("tool_responses") or ():
            item = {
                "role": "tool",
                "tool_call_id": response.get("tool_call_id", ""),
                "content": content_str(response.get("content")),
            }
            if response.get("role") == "function":
                item = {
                    "role": "function",
                    "name": oai_name(str(response.get("name", ""))),
                    "content": content_str(response.get("content")),
                }
            out.append(item)
        role = m.get("role", "user")
        if role == "tool":
            if not m.get("tool_responses"):
                out.append(
                    {
                        "role": "tool",
                        "tool_call_id": m.get("tool_call_id", ""),
                        "content": content_str(m.get("content")),
                    }
                )
            continue
        content = instantiate(
            m.get("content"), m.get("context") or context, allow_format
        )
        entry: dict[str, Any] = {
            "role": role,
            "content": content if content is None else content_str(content),
        }
        if m.get("name"):
            entry["name"] = oai_name(str(m["name"]))
        for key in ("tool_calls", "function_call"):
            if m.get(key):
                entry[key] = m[key]
        out.append(entry)
    return out
