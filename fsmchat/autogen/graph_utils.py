"""AutoGen's ``autogen.graph_utils``: checking and drawing speaker-transition dicts.

The dicts map an agent to the agents that may speak after it (a group chat's
``allowed_or_disallowed_speaker_transitions``). ``visualize_speaker_transitions_dict``
returns the graph as DOT text (AutoGen draws it with networkx and matplotlib);
with ``export_path`` it also writes it: DOT for ``.dot``/``.gv``, a picture
(``.svg``, ``.png``, ``.pdf``) through the ``graphviz`` package otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fsmchat._core.errors import InvalidArgument
from fsmchat.autogen._session import Agent

__all__ = [
    "check_graph_validity",
    "has_self_loops",
    "invert_disallowed_to_allowed",
    "visualize_speaker_transitions_dict",
]

logger = logging.getLogger(__name__)


def has_self_loops(allowed_speaker_transitions: Mapping[Any, Sequence[Any]]) -> bool:
    """Whether some agent may follow itself."""
    return any(key in value for key, value in allowed_speaker_transitions.items())


def check_graph_validity(
    allowed_speaker_transitions_dict: Mapping[Any, Any], agents: Sequence[Any]
) -> None:
    """Check a transitions dict against the group's agents, as AutoGen does.

    Logs a warning for isolated agents, agents of the dict that are not in
    ``agents`` (or the reverse) and duplicated successors.

    Raises:
        ValueError: not a dict of lists of agents, or a key that is not in ``agents``.
    """
    graph = allowed_speaker_transitions_dict
    if not isinstance(graph, dict):
        msg = "allowed_speaker_transitions_dict must be a dictionary."
        raise ValueError(msg)
    if not all(isinstance(value, list) for value in graph.values()):
        msg = "allowed_speaker_transitions_dict must be a dictionary with lists as values."
        raise ValueError(msg)
    if not all(key in agents for key in graph):
        msg = "allowed_speaker_transitions_dict has keys not in agents."
        raise ValueError(msg)
    if not all(isinstance(a, Agent) for value in graph.values() for a in value):
        msg = (
            "allowed_speaker_transitions_dict has values that are not lists of Agents."
        )
        raise ValueError(msg)
    has_out = [key for key, value in graph.items() if value]
    has_in = [a for value in graph.values() for a in value]
    isolated = [a for a in agents if a not in has_out and a not in has_in]
    if isolated:
        logger.warning(
            "Warning: There are isolated agent nodes, there are not incoming nor "
            "outgoing edges. Isolated agents: %s",
            [a.name for a in isolated],
        )
    mentioned = set(has_in) | set(has_out)
    offending = mentioned.symmetric_difference(agents)
    if offending:
        logger.warning(
            "Warning: The set of agents in allowed_speaker_transitions do not match "
            "agents. Offending agents: %s",
            [a.name for a in offending],
        )
    for key, values in graph.items():
        duplicates = {a for a in values if values.count(a) > 1}
        if duplicates:
            logger.warning(
                "Agent '%s' has duplicate elements: %s. Please remove duplicates manually.",
                key.name,
                [a.name for a in duplicates],
            )


def invert_disallowed_to_allowed(
    disallowed_speaker_transitions_dict: Mapping[Any, Sequence[Any]],
    agents: Sequence[Any],
) -> dict[Any, list[Any]]:
    """The allowed transitions: every pair of ``agents`` but the disallowed ones."""
    allowed = {agent: list(agents) for agent in agents}
    for key, value in disallowed_speaker_transitions_dict.items():
        allowed[key] = [a for a in allowed[key] if a not in value]
    return allowed


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def visualize_speaker_transitions_dict(
    speaker_transitions_dict: Mapping[Any, Sequence[Any]],
    agents: Sequence[Any],
    export_path: str | None = None,
) -> str:
    """The transitions as a DOT digraph; written to ``export_path`` when given.

    Raises:
        InvalidArgument: a picture was asked for without the ``graphviz`` package.
    """
    lines = ["digraph speaker_transitions {"]
    lines += [f"  {_quote(a.name)};" for a in agents]
    lines += [
        f"  {_quote(key.name)} -> {_quote(a.name)};"
        for key, value in speaker_transitions_dict.items()
        for a in value
    ]
    dot = "\n".join([*lines, "}"]) + "\n"
    if export_path is None:
        return dot
    path = Path(export_path)
    if path.suffix in {".dot", ".gv", ""}:
        path.write_text(dot, encoding="utf-8")
        return dot
    try:
        import graphviz
    except ImportError as exc:
        msg = "drawing a picture needs the 'graphviz' package: pip install 'fsmchat[diagrams]' (or export to .dot)"
        raise InvalidArgument(msg) from exc
    path.write_bytes(graphviz.Source(dot).pipe(format=path.suffix.lstrip(".")))
    return dot
