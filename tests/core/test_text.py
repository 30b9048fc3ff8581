"""The one set of text helpers every message is written with."""

from __future__ import annotations

import pytest

from fsmchat._core.text import (
    counted,
    data_path,
    did_you_mean,
    preview,
    quoted,
    short_repr,
)


def test_did_you_mean_offers_the_closest_name_or_a_synonym() -> None:
    """A slip gets the closest choice; another framework's word gets fsmchat's."""
    assert did_you_mean("Critc", ["Writer", "Critic"]) == "; did you mean 'Critic'?"
    assert did_you_mean("condition", ["from", "to", "on"]) == "; did you mean 'on'?"
    assert did_you_mean("zzz", ["Writer", "Critic"]) == ""


def test_short_repr_cuts_long_values_only() -> None:
    """A short value is its repr; a long one is cut to the limit and says so."""
    assert short_repr("ab") == "'ab'"
    cut = short_repr("x" * 200, limit=20)
    assert len(cut) == 20
    assert cut.endswith("...")


def test_preview_is_one_line_and_cut() -> None:
    """Whitespace runs become one space; a long text is cut to the limit, quoted."""
    assert preview("a\n  b\tc") == "'a b c'"
    assert preview(None) == "''"
    assert preview("y" * 100, 10) == repr("y" * 7 + "...")


def test_quoted_keeps_order_and_drops_repeats() -> None:
    """Names are quoted in order, each once."""
    assert quoted(["b", "a", "b"]) == "'b', 'a'"


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 messages"), (1, "1 message"), (3, "3 messages")]
)
def test_counted_agrees_with_its_noun(n: int, expected: str) -> None:
    """The noun is plural unless the count is one."""
    assert counted(n, "message") == expected


def test_counted_takes_an_irregular_plural() -> None:
    """An irregular plural is given, not guessed."""
    assert counted(2, "property", "properties") == "2 properties"


def test_data_path_names_a_place_in_a_spec() -> None:
    """Keys are joined with dots and indexes bracketed; the root is 'spec'."""
    assert data_path(("transitions", 3, "to")) == "transitions[3].to"
    assert data_path(()) == "spec"
