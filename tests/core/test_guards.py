"""Guards: what each kind evaluates to, how it describes itself, unbound and failing calls."""

from __future__ import annotations

import pytest

from fsmchat import (
    AllOf,
    AnyOf,
    Call,
    ChatView,
    Contains,
    EndsWith,
    Equals,
    InvalidArgument,
    Message,
    Not,
    Regex,
    SpecError,
    UserCodeError,
    parse_spec,
)
from fsmchat._core.guards import bind_guard, calls
from tests.strategies import round_at_least, speaker_is


def view(*texts: str, speaker: str = "Ann") -> ChatView:
    """A chat of ``texts`` (all said by ``speaker``)."""
    return ChatView([Message(name=speaker, content=t) for t in texts], speaker)


@pytest.mark.parametrize(
    ("guard", "holds", "fails"),
    [
        pytest.param(Regex(r"\bOK\b"), "it is OK now", "it is ok now", id="regex"),
        pytest.param(Regex("^ok", ignore_case=True), "OK then", "not ok", id="regex-i"),
        pytest.param(Contains("x"), "axb", "ab", id="contains"),
        pytest.param(EndsWith("done."), "all done.  \n", "done. not", id="endswith"),
        pytest.param(Equals("yes"), "  yes\n", "yes!", id="equals"),
        pytest.param(Not(Contains("x")), "ab", "x", id="not"),
        pytest.param(AllOf((Contains("a"), Contains("b"))), "ab", "a", id="all"),
        pytest.param(AnyOf((Contains("a"), Contains("b"))), "b", "c", id="any"),
        pytest.param(AllOf(()), "anything", None, id="all-empty"),
        pytest.param(AnyOf(()), None, "anything", id="any-empty"),
    ],
)
def test_each_guard_kind_evaluates_on_the_last_message(
    guard: object, holds: str | None, fails: str | None
) -> None:
    """Each guard holds on its matching last message and fails on the other."""
    if holds is not None:
        assert guard.evaluate(view("x", holds)) is True  # type: ignore[attr-defined]
    if fails is not None:
        assert guard.evaluate(view(holds or "", fails)) is False  # type: ignore[attr-defined]


def test_guards_see_an_empty_chat_as_empty_text() -> None:
    """Before the first message the last text is ``""``."""
    empty = ChatView([], "Ann")
    assert Equals("").evaluate(empty)
    assert not Contains("x").evaluate(empty)


def test_call_guard_passes_the_view_and_args() -> None:
    """``call`` calls ``func(view, **args)`` and returns a bool."""
    at_least = Call("tests.strategies:round_at_least", round_at_least, {"n": 2})
    assert at_least.evaluate(view("a", "b")) is True
    assert at_least.evaluate(view("a")) is False
    who = Call("tests.strategies:speaker_is", speaker_is, {"name": "Bob"})
    assert who.evaluate(view("a", speaker="Bob")) is True
    counted = Call("m:f", lambda chat: len(chat.messages), {})
    assert counted.evaluate(view("a", "b")) is True
    assert counted.evaluate(ChatView([], "Ann")) is False


def test_call_guards_are_equal_by_reference_and_args() -> None:
    """Two ``call`` guards are equal when reference and args are; hashable either way."""
    one = Call("tests.strategies:round_at_least", round_at_least, {"n": 2})
    same = Call("tests.strategies:round_at_least", round_at_least, {"n": 2})
    other = Call("tests.strategies:round_at_least", round_at_least, {"n": 3})
    assert one == same
    assert hash(one) == hash(same)
    assert len({one, same, other}) == 2
    assert Call("m:f", print, {"xs": [1, 2]}) == Call("m:f", print, {"xs": [1, 2]})


@pytest.mark.parametrize(
    ("guard", "text"),
    [
        (Regex("a+"), "/a+/"),
        (Regex("a+", ignore_case=True), "/a+/i"),
        (Contains("x"), "contains 'x'"),
        (EndsWith("."), "endswith '.'"),
        (Equals("yes"), "equals 'yes'"),
        (Call("pkg.mod:pred", print, {}), "pred"),
        (Call("pkg.mod:pred", print, {"b": 2, "a": "x"}), "pred(a='x', b=2)"),
        (Not(Contains("x")), "not contains 'x'"),
        (AllOf((Contains("a"), Equals("b"))), "(contains 'a') and (equals 'b')"),
        (AnyOf((Contains("a"), Equals("b"))), "(contains 'a') or (equals 'b')"),
        (AllOf(()), "always"),
        (AnyOf(()), "never"),
    ],
)
def test_each_guard_describes_itself(guard: object, text: str) -> None:
    """``describe()`` gives the short text diagrams and diagnostics show."""
    assert guard.describe() == text  # type: ignore[attr-defined]


def test_unbound_call_guard_refuses_to_evaluate() -> None:
    """A ``call`` guard read from a file is not run before it is resolved."""
    unbound = Call("tests.strategies:round_at_least", None, {"n": 1})
    assert not unbound.bound
    with pytest.raises(InvalidArgument, match="was never bound to a function"):
        unbound.evaluate(view("a"))


def test_call_guard_errors_name_the_guard() -> None:
    """An exception inside a ``call`` guard becomes UserCodeError naming the guard."""

    def broken(chat: ChatView) -> bool:
        raise KeyError("boom")

    with pytest.raises(
        UserCodeError, match=r"guard broken \(m:broken\) raised KeyError"
    ):
        Call("m:broken", broken, {}).evaluate(view("a"))


def test_regex_repr_shows_what_was_written() -> None:
    """A regex guard's repr shows its pattern and flag, not the compiled object."""
    assert (
        repr(Regex("a+", ignore_case=True))
        == "Regex(pattern='a+', ignore_case=True, of='last')"
    )


def test_bind_guard_binds_unbound_calls_anywhere_in_the_tree() -> None:
    """Unbound calls whose reference is in the table get its function, however nested."""
    table = {"t:f": round_at_least}
    bound = bind_guard(
        AllOf(
            (Not(Call("t:f", None, {"n": 2})), AnyOf((Call("t:f", None, {"n": 1}),)))
        ),
        table,
    )
    assert isinstance(bound, AllOf)
    assert [c.func for _, c in calls(bound)] == [round_at_least, round_at_least]
    assert [path for path, _ in calls(bound)] == [
        ("all", 0, "not", "call"),
        ("all", 1, "any", 0, "call"),
    ]
    assert bound.evaluate(view("a")) is True


def test_bind_guard_keeps_what_it_cannot_or_need_not_bind() -> None:
    """Bound calls keep their function; unknown references stay unbound; unchanged trees are the same objects."""
    own = Call("t:f", speaker_is, {"name": "Ann"})
    assert bind_guard(own, {"t:f": round_at_least}) is own
    unknown = Call("t:g", None, {})
    assert bind_guard(unknown, {"t:f": round_at_least}) is unknown
    for tree in (
        Not(unknown),
        AllOf((unknown, Contains("x"))),
        AnyOf((own,)),
        Contains("x"),
    ):
        assert bind_guard(tree, {"t:f": round_at_least}) is tree
    assert list(calls(Contains("x"))) == []
    assert list(calls(None)) == []


def test_of_reads_a_named_agent_or_the_first_message() -> None:
    """`of: NAME` reads NAME's last message ("" before it speaks), `of: first` the first message."""
    chat = ChatView(
        [
            Message(name="Customer", content="my invoice is wrong"),
            Message(name="Triage", content="routing you"),
            Message(name="Customer", content="please refund me"),
            Message(name="Triage", content="ok"),
        ],
        "Triage",
    )
    assert Contains("refund", of="Customer").evaluate(chat)
    assert not Contains("refund").evaluate(chat)  # the last message is Triage's
    assert Regex("^my invoice", of="first").evaluate(chat)
    assert Equals("ok", of="Triage").evaluate(chat)
    assert EndsWith("me", of="Customer").evaluate(chat)
    assert not Regex(".", of="Billing").evaluate(chat)  # Billing never spoke
    assert not Regex(".", of="first").evaluate(ChatView([], "Triage"))
    assert (
        Contains("refund", of="Customer").describe() == "contains 'refund' of Customer"
    )
    assert Regex("x", of="first").describe() == "/x/ of the first message"
    assert Regex("x").describe() == "/x/"


def test_of_in_a_spec_is_checked_against_the_agents() -> None:
    """A spec's `of:` names an agent, first or last; a typo is a located error with a hint."""
    text = (
        "agents: [{name: Customer, kind: human}, {name: Triage}, {name: Billing}]\n"
        "end: [Billing]\n"
        "transitions:\n"
        "  - {from: Customer, to: Triage}\n"
        "  - {from: Triage, to: Billing, when: {contains: refund, of: Customer}}\n"
        "  - {from: Triage, to: Customer, when: {regex: '^x', of: Custmer}}\n"
        "  - {from: Triage, to: Billing, when: {call: 'a.b:c', of: first}}\n"
    )
    with pytest.raises(SpecError) as err:
        parse_spec(text, path="t.yaml")
    messages = [str(p) for p in err.value.problems]
    assert any(
        m.startswith("t.yaml:6:")
        and "'of: Custmer' names no agent; did you mean 'Customer'" in m
        for m in messages
    ), messages
    assert any(
        m.startswith("t.yaml:7:") and "'of' goes with regex" in m for m in messages
    )
    ok = parse_spec(
        text.replace("Custmer", "first").replace(", of: first}", "}"), path="t.yaml"
    )
    assert ok.transitions[1].when == Contains("refund", of="Customer")


def test_of_naming_no_agent_is_refused_in_a_python_spec() -> None:
    """A spec built in Python whose guard reads `of` an unknown agent is a SpecError with a hint."""
    from fsmchat import Edge, Spec
    from tests.helpers import agents

    with pytest.raises(
        SpecError, match=r"reads 'of: Custmer'.*did you mean 'Customer'"
    ):
        Spec(
            agents=agents("Customer", "Triage"),
            transitions=[
                Edge(source="Customer", target="Triage"),
                Edge(
                    source="Triage",
                    target="Customer",
                    when=Contains("x", of="Custmer"),
                ),
            ],
        )
