"""Checks of a group chat's arguments, all at once, at construction.

:func:`validate` reports every problem of a :class:`~fsmchat.autogen.GroupChat`
in one :class:`~fsmchat.SpecError` (a ``ValueError``): unknown methods or keys
(with a "did you mean"), agents outside the group in a graph, malformed
templates, contradictory options. Only definite errors are refused here;
whether a model is needed is the manager's question (see
:mod:`fsmchat.autogen._manager`).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.build_autogen import spec_from_autogen
from fsmchat._core.errors import Problem, SpecError
from fsmchat._core.spec import Edge
from fsmchat.autogen._exceptions import InvalidGroupChat
from fsmchat.autogen._utils import did_you_mean, name_of, short_repr

__all__ = ["SPEAKER_SELECTION_METHODS", "Graph", "may_repeat", "problem", "validate"]

SPEAKER_SELECTION_METHODS = ("auto", "fsm", "manual", "random", "round_robin")
"""The speaker-selection methods a group chat accepts by name (any case)."""

_TRANSITION_TYPES = ("allowed", "disallowed")
_PLACEHOLDERS = {
    "select_speaker_message_template": ("roles", "agentlist"),
    "select_speaker_prompt_template": ("agentlist",),
    "select_speaker_auto_multiple_template": ("agentlist",),
    "select_speaker_auto_none_template": ("agentlist",),
}


@attrs.frozen(kw_only=True)
class Graph:
    """Who may follow whom: ``transitions`` (agent -> agents) and the FSM's edges."""

    transitions: Mapping[Any, list[Any]] = attrs.field(eq=False)
    fsm_edges: tuple[Edge, ...] = ()


def problem(message: str, code: str = "bad-value") -> Problem:
    """A problem of a group chat (reported at ``<GroupChat>``)."""
    return Problem(message=message, path="<GroupChat>", code=code)


def may_repeat(repeat: bool | Sequence[Any] | None, name: str) -> bool:
    """Whether ``name`` may speak twice in a row under ``allow_repeat_speaker``."""
    if repeat is None or repeat is True:
        return True
    if repeat is False:
        return False
    return any(name_of(a) == name for a in repeat)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _placeholders(template: str) -> list[str]:
    """Field names of a ``str.format`` template (``ValueError`` if malformed)."""
    return [
        field
        for _, field, _, _ in string.Formatter().parse(template)
        if field is not None
    ]


def validate(gc: Any) -> Graph:
    """Check a group chat's arguments; return its graph of allowed transitions.

    Raises:
        SpecError: (a ``ValueError``) listing every problem found.
    """
    _autogen_checks(gc)
    problems: list[Problem] = []
    add = problems.append
    _check_agents(gc, add)
    if problems:
        raise SpecError(problems)
    _check_numbers(gc, add)
    _check_method(gc, add)
    _check_templates(gc, add)
    _check_repeat(gc, add)
    graph = Graph(transitions={}, fsm_edges=())
    if not problems:
        graph = _build_graph(gc, add)
    if problems:
        raise SpecError(problems)
    return graph


def _check_agents(gc: Any, add: Callable[[Problem], object]) -> None:
    if not isinstance(gc.agents, list):
        add(problem(f"agents must be a list of agents, got {short_repr(gc.agents)}"))
        return
    seen: dict[str, int] = {}
    for i, agent in enumerate(gc.agents):
        name = getattr(agent, "name", None)
        if not isinstance(name, str) or not name:
            add(
                problem(f"agents[{i}] is not an agent with a name: {short_repr(agent)}")
            )
        else:
            seen.setdefault(name, i)
    if not isinstance(gc.messages, list):
        add(
            problem(
                f"messages must be a list of message dicts, got {type(gc.messages).__name__}"
            )
        )


def _autogen_checks(gc: Any) -> None:
    """AutoGen's own checks of a group chat, in its order, with its messages.

    Raises:
        InvalidGroupChat: (a ``ValueError``) the first one that fails.
    """
    # long: one line of AutoGen's contract each; the first failing one is raised
    repeat = gc.allow_repeat_speaker
    graph = gc.allowed_or_disallowed_speaker_transitions
    kind = gc.speaker_transitions_type
    fails = (
        (
            repeat is not None and not isinstance(repeat, bool | list),
            "GroupChat allow_repeat_speaker should be a bool or a list of Agents.",
        ),
        (
            kind is not None
            and (not isinstance(kind, str) or kind.lower() not in _TRANSITION_TYPES),
            f"GroupChat speaker_transitions_type is set to '{kind}'. It should be one of "
            f"{[*_TRANSITION_TYPES, None]} (case insensitive). "
            + did_you_mean(str(kind).lower(), _TRANSITION_TYPES),
        ),
        (
            graph is not None and repeat is not None,
            "Don't provide both allowed_or_disallowed_speaker_transitions and allow_repeat_speaker in group chat. "
            "Please set one of them to None.",
        ),
        (
            graph is not None and kind is None,
            "GroupChat allowed_or_disallowed_speaker_transitions is not None, but speaker_transitions_type is None. "
            "Please set speaker_transitions_type to either 'allowed' or 'disallowed'.",
        ),
        *(
            (not getattr(gc, attr), f"{attr} cannot be empty or None.")
            for attr in (
                "select_speaker_message_template",
                "role_for_select_speaker_messages",
                "select_speaker_auto_multiple_template",
                "select_speaker_auto_none_template",
            )
        ),
        (
            not _is_int(gc.max_retries_for_selecting_speaker),
            "max_retries_for_selecting_speaker cannot be None or non-int",
        ),
        (
            _is_int(gc.max_retries_for_selecting_speaker)
            and gc.max_retries_for_selecting_speaker < 0,
            "max_retries_for_selecting_speaker must be greater than or equal to zero",
        ),
    )
    for failed, message in fails:
        if failed:
            raise InvalidGroupChat(message)


def _check_numbers(gc: Any, add: Callable[[Problem], object]) -> None:
    if not _is_int(gc.max_round) or gc.max_round < 1:
        add(
            problem(
                f"max_round must be an integer >= 1 (it counts the first message), got {gc.max_round!r}"
            )
        )
    retries = gc.max_retries_for_selecting_speaker
    if not _is_int(retries) or retries < 0:
        add(
            problem(
                f"max_retries_for_selecting_speaker must be an integer >= 0, got {retries!r}"
            )
        )
    context = gc.select_speaker_context
    if context is not None and (not _is_int(context) or context < 0):
        add(
            problem(
                f"select_speaker_context must be an integer >= 0 or None (all messages), got {context!r}"
            )
        )
    if not _is_int(gc.seed):
        add(problem(f"seed must be an integer, got {gc.seed!r}"))
    for flag in (
        "enable_clear_history",
        "func_call_filter",
        "send_introductions",
        "select_speaker_auto_verbose",
    ):
        if not isinstance(getattr(gc, flag), bool):
            add(problem(f"{flag} must be True or False, got {getattr(gc, flag)!r}"))
    if not isinstance(gc.admin_name, str) or not gc.admin_name:
        add(problem(f"admin_name must be a non-empty string, got {gc.admin_name!r}"))
    role = gc.role_for_select_speaker_messages
    if not isinstance(role, str) or not role:
        add(problem("role_for_select_speaker_messages cannot be empty or None."))


def _check_method(gc: Any, add: Callable[[Problem], object]) -> None:
    method = gc.speaker_selection_method
    if isinstance(method, str):
        if method.lower() not in SPEAKER_SELECTION_METHODS:
            hint = did_you_mean(method.lower(), SPEAKER_SELECTION_METHODS)
            add(
                problem(
                    f"speaker_selection_method={method!r} is not a selection method; "
                    f"expected one of {', '.join(repr(m) for m in SPEAKER_SELECTION_METHODS)} "
                    f"(any case) or a callable{hint}"
                )
            )
    elif not callable(method):
        add(
            problem(
                f"speaker_selection_method must be a string or a callable "
                f"func(last_speaker, groupchat), got {type(method).__name__}"
            )
        )
    fsm = gc.finite_state_machine
    if gc.method == "fsm" and fsm is None:
        add(
            problem(
                "speaker_selection_method='fsm' needs finite_state_machine="
                "{'agents': [...], 'transitions': [{'from': a, 'to': b, 'on': text or None}, ...]}"
            )
        )
    if fsm is not None and gc.method != "fsm":
        add(
            problem(
                f"finite_state_machine is only used with speaker_selection_method='fsm', "
                f"got speaker_selection_method={method!r}; set it to 'fsm' or drop the FSM"
            )
        )
    graphs = [
        n
        for n in (
            "allowed_or_disallowed_speaker_transitions",
            "graph_dict",
            "finite_state_machine",
        )
        if getattr(gc, n) is not None
    ]
    if len(graphs) > 1:
        add(
            problem(
                f"give one transition graph, not several: got {' and '.join(graphs)}"
            )
        )


def _check_templates(gc: Any, add: Callable[[Problem], object]) -> None:
    for attr, allowed in _PLACEHOLDERS.items():
        template = getattr(gc, attr)
        if template is None and attr == "select_speaker_prompt_template":
            continue  # AutoGen: no prompt after the conversation
        if not isinstance(template, str) or not template.strip():
            add(
                problem(
                    f"{attr} must be a non-empty string, got {short_repr(template)}"
                )
            )
            continue
        try:
            fields = _placeholders(template)
        except ValueError as exc:
            add(
                problem(
                    f"{attr} is not a valid format string ({exc}); write literal braces as {{{{ and }}}}"
                )
            )
            continue
        for field in fields:
            if field not in allowed:
                hint = did_you_mean(field, allowed)
                add(
                    problem(
                        f"{attr} has the placeholder {{{field}}}; it may only use "
                        f"{', '.join('{' + a + '}' for a in allowed)}{hint}"
                    )
                )


def _check_repeat(gc: Any, add: Callable[[Problem], object]) -> None:
    repeat = gc.allow_repeat_speaker
    if repeat is None or isinstance(repeat, bool):
        pass
    elif isinstance(repeat, list | tuple):
        for i, a in enumerate(repeat):
            if a not in gc.agents and name_of(a) not in gc.agent_names:
                add(
                    problem(
                        f"allow_repeat_speaker[{i}] is not a member of the group chat: {short_repr(a)}",
                        "unknown-agent",
                    )
                )
    else:
        add(
            problem(
                f"allow_repeat_speaker must be True, False, None or a list of agents, got {type(repeat).__name__}"
            )
        )
    transitions = gc.allowed_or_disallowed_speaker_transitions
    kind = gc.speaker_transitions_type
    if kind is not None:
        if not isinstance(kind, str) or kind.lower() not in _TRANSITION_TYPES:
            hint = did_you_mean(str(kind).lower(), _TRANSITION_TYPES)
            add(
                problem(
                    f"speaker_transitions_type must be 'allowed' or 'disallowed' (any case), got {kind!r}{hint}"
                )
            )
        else:
            pass
    if transitions is not None:
        if kind is None:
            add(
                problem(
                    "allowed_or_disallowed_speaker_transitions is given but speaker_transitions_type "
                    "is None; set speaker_transitions_type='allowed' or 'disallowed'"
                )
            )
        if repeat is not None:
            add(
                problem(
                    "give allowed_or_disallowed_speaker_transitions or allow_repeat_speaker, not "
                    "both: the graph already says who may speak twice in a row (a self-loop); "
                    "set allow_repeat_speaker=None"
                )
            )


def _resolve(gc: Any, obj: Any, where: str, add: Callable[[Problem], object]) -> Any:
    """The member ``obj`` is (an agent or a name), or ``None`` after a problem."""
    if any(obj is a for a in gc.agents):
        return obj
    name = name_of(obj)
    if name is not None:
        found = gc.agent_by_name(name)
        if found is not None and (isinstance(obj, str) or found == obj):
            return found
        hint = did_you_mean(name, gc.agent_names)
        add(
            problem(
                f"{where}: {name!r} is not a member of the group chat (members: {', '.join(gc.agent_names)}){hint}",
                "unknown-agent",
            )
        )
        return None
    add(problem(f"{where}: expected an agent, got {short_repr(obj)}", "unknown-agent"))
    return None


def _graph_dict(
    gc: Any, raw: Any, label: str, add: Callable[[Problem], object]
) -> dict[Any, list[Any]] | None:
    if not isinstance(raw, Mapping):
        add(
            problem(
                f"{label} must be a dict {{agent: [agents]}}, got {type(raw).__name__}"
            )
        )
        return None
    out: dict[Any, list[Any]] = {}
    for key, targets in raw.items():
        src = _resolve(gc, key, f"{label} key {name_of(key) or key!r}", add)
        if not isinstance(targets, list | tuple):
            add(
                problem(
                    f"{label}[{name_of(key)!r}] must be a list of agents, got {type(targets).__name__}"
                )
            )
            continue
        resolved = []
        for j, t in enumerate(targets):
            dst = _resolve(gc, t, f"{label}[{name_of(key)!r}][{j}]", add)
            if dst is not None and dst not in resolved:
                resolved.append(dst)
        if src is not None:
            if src in out:
                add(problem(f"{label}: agent {src.name!r} is listed twice as a key"))
            out[src] = resolved
    return out


def _build_graph(gc: Any, add: Callable[[Problem], object]) -> Graph:
    agents = gc.agents
    transitions: dict[Any, list[Any]] = {}
    if gc.allowed_or_disallowed_speaker_transitions is not None:
        graph = _graph_dict(
            gc,
            gc.allowed_or_disallowed_speaker_transitions,
            "allowed_or_disallowed_speaker_transitions",
            add,
        )
        if graph is None:
            return Graph(transitions={}, fsm_edges=())
        if str(gc.speaker_transitions_type).lower() == "disallowed":
            graph = {
                a: [b for b in agents if b not in graph.get(a, [])] for a in agents
            }
        transitions = graph
    elif gc.graph_dict is not None:
        graph = _graph_dict(gc, gc.graph_dict, "graph_dict", add)
        if graph is not None:
            transitions = graph
    else:
        transitions = {
            a: [
                b
                for b in agents
                if b is not a or may_repeat(gc.allow_repeat_speaker, a.name)
            ]
            for a in agents
        }
    edges: tuple[Edge, ...] = ()
    if gc.method == "fsm" and gc.finite_state_machine is not None:
        edges = _build_fsm(gc, add)
    return Graph(transitions=transitions, fsm_edges=edges)


def _build_fsm(gc: Any, add: Callable[[Problem], object]) -> tuple[Edge, ...]:
    fsm = gc.finite_state_machine
    if not isinstance(fsm, Mapping):
        add(
            problem(
                f"finite_state_machine must be a dict with 'agents' and 'transitions', got {type(fsm).__name__}"
            )
        )
        return ()
    unknown = [k for k in fsm if k not in ("agents", "transitions")]
    for k in unknown:
        add(
            problem(
                f"finite_state_machine has an unknown key {k!r}{did_you_mean(str(k), ('agents', 'transitions'))}"
            )
        )
    if not isinstance(fsm.get("transitions"), list | tuple):
        add(
            problem(
                "finite_state_machine['transitions'] must be a list of {'from', 'to', 'on'} dicts"
            )
        )
        return ()
    for i, a in enumerate(fsm.get("agents") or ()):
        _resolve(gc, a, f"finite_state_machine['agents'][{i}]", add)
    for i, t in enumerate(fsm["transitions"]):
        if isinstance(t, Mapping):
            extra = [k for k in t if k not in ("from", "to", "on")]
            for k in extra:
                add(
                    problem(
                        f"finite_state_machine['transitions'][{i}] has an unknown key {k!r}{did_you_mean(str(k), ('from', 'to', 'on'))}"
                    )
                )
            for end in ("from", "to"):
                if t.get(end) is not None:
                    _resolve(
                        gc,
                        t[end],
                        f"finite_state_machine['transitions'][{i}][{end!r}]",
                        add,
                    )
            on = t.get("on")
            if on is not None and (not isinstance(on, str) or not on.strip()):
                add(
                    problem(
                        f"finite_state_machine['transitions'][{i}]['on'] must be a condition text or None, got {short_repr(on)}"
                    )
                )
    try:
        parsed = spec_from_autogen(fsm)
    except SpecError as exc:
        for p in exc.problems:
            add(problem(f"finite_state_machine: {p.message}", p.code))
        return ()
    return tuple(parsed.transitions)
