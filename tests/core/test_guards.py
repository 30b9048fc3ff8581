"""Guards: what each kind evaluates to, how it describes itself, and reference resolving."""

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
    Message,
    Not,
    Regex,
)
from fsmchat._core.guards import resolve_ref
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


def test_resolve_ref_imports_nested_attributes() -> None:
    """``package.module:attr.attr`` resolves to the callable."""
    import os.path

    assert resolve_ref("os.path:join") is os.path.join
    assert resolve_ref("tests.strategies:round_at_least") is round_at_least
    assert resolve_ref("fsmchat:Spec.__init__") is not None


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("nocolon", "expected 'package.module:function', got 'nocolon'"),
        (":f", "expected 'package.module:function'"),
        ("m:", "expected 'package.module:function'"),
        (
            "no_such_module_zz:f",
            "cannot import module 'no_such_module_zz' for 'no_such_module_zz:f'",
        ),
        ("math:flor", "module 'math' has no attribute 'flor'; did you mean 'floor'?"),
        ("math:zzzzzz", "module 'math' has no attribute 'zzzzzz'"),
        ("math:pi", "'math:pi' is not callable (it is float)"),
    ],
)
def test_resolve_ref_errors_say_what_is_wrong(ref: str, words: str) -> None:
    """A bad reference raises ValueError saying which part is wrong."""
    with pytest.raises(ValueError) as info:
        resolve_ref(ref)
    assert words in str(info.value)
