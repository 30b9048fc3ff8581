"""The YAML reader: events to data with locations, checked against a node-tree oracle.

``fsmchat._core.source.compose`` builds data from PyYAML's parser events for speed. The
oracle below builds the same from ``yaml.compose``'s node tree (the obvious,
slower way); both must agree on data, locations and problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from fsmchat._core.source import (
    _TAG_BOOL,
    _TAG_FLOAT,
    _TAG_INT,
    _TAG_NULL,
    FAILED,
    KEY,
    TEXT,
    compose,
    load_yaml,
)

ROOT = Path(__file__).resolve().parents[2]


def oracle(text: str) -> tuple[Any, dict[Any, Any], list[str]]:
    """Data, locations and problem messages built from the node tree."""
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    locations: dict[Any, Any] = {}
    problems: list[str] = []
    if node is None:
        return None, locations, problems

    def mark(n: yaml.Node) -> tuple[int, int]:
        return (n.start_mark.line + 1, n.start_mark.column + 1)

    def convert(n: yaml.Node, key: tuple[Any, ...]) -> Any:
        locations[key] = mark(n)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for kn, vn in n.value:
                if not isinstance(kn, yaml.ScalarNode):
                    problems.append("mapping keys must be plain scalars")
                    continue
                k = str(kn.value)
                if k in out:
                    problems.append(f"duplicate key {k!r}")
                    continue
                out[k] = convert(vn, (*key, k))
                locations[(*key, k, KEY)] = mark(kn)
                if isinstance(vn, yaml.ScalarNode) and vn.style in ('"', "'"):
                    line, col = mark(vn)  # a quoted text starts past its quote
                    locations[(*key, k, TEXT)] = (line, col + 1)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [convert(item, (*key, i)) for i, item in enumerate(n.value)]
        return scalar(n)

    def scalar(n: yaml.Node) -> Any:
        value = n.value
        if n.style:
            return value
        if n.tag == _TAG_NULL:
            return None
        if n.tag == _TAG_BOOL:
            low = value.lower()
            return low == "true" if low in ("true", "false") else value
        for tag, kind in ((_TAG_INT, int), (_TAG_FLOAT, float)):
            if n.tag == tag:
                try:
                    return (
                        kind(value.replace("_", ""), 0)
                        if kind is int
                        else kind(value.replace("_", ""))
                    )
                except ValueError:
                    return value
        return value

    return convert(node, ()), locations, problems


def agree(text: str) -> None:
    """compose() and the oracle give the same data, locations and problems."""
    try:
        expected = oracle(text)
    except yaml.YAMLError:
        data, _, problems = compose(text, path="t")
        assert data is None
        assert len(problems) == 1
        assert load_yaml(text) is FAILED
        return
    data, locations, problems = compose(text, path="t")
    assert data == expected[0]
    assert locations == expected[1]
    assert [p.message.split(" (first")[0] for p in problems] == expected[2]
    # The fast path (no locations) gives the same data, or defers to compose().
    fast = load_yaml(text)
    if problems:
        assert fast is FAILED
    else:
        assert fast == data


def test_every_spec_file_reads_as_the_oracle_does() -> None:
    """All shipped and test spec files give identical data and locations."""
    files = sorted([*ROOT.glob("specs/*.yaml"), *ROOT.glob("tests/data/**/*.yaml")])
    assert len(files) > 5
    for f in files:
        agree(f.read_text())


def test_scalar_resolution_edge_cases() -> None:
    """Numbers, nulls, YAML 1.2 booleans, quoted text and keys agree with the oracle."""
    agree(
        "on: yes\nNo: ~\nx: 1_000\ny: 0x1F\nz: 1.5e3\nw: .inf\nv: ''\nu: \"3\"\n"
        "t: true\ns: False\nr: 2024-01-01\nq: |\n  block\np: !!str 5\no:\nn: [1, a, null]\n"
    )


def test_duplicate_and_complex_keys_agree() -> None:
    """Duplicate keys and non-scalar keys are problems in both, values dropped."""
    agree("a: 1\na: {b: 2}\n? [x]\n: 3\nc: 4\n")


def test_anchors_and_aliases_give_equal_copies() -> None:
    """An alias gives a copy of the anchored value."""
    data, _, problems = compose("a: &x {k: [1, 2]}\nb: *x\n", path="t")
    assert data == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}
    assert data["a"] is not data["b"]
    assert not problems


def test_second_document_is_a_problem() -> None:
    """Two documents in one file are a located problem."""
    data, _, problems = compose("a: 1\n---\nb: 2\n", path="t")
    assert data is None
    assert problems[0].line == 2
    assert "another document" in problems[0].message


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(
        ["on", "yes", "No", "~", "1_0", "0o7", "0x1", ".5", "-", "<<", "="]
    ),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        # A key spelled like the location table's KEY marker ("<key>") shares its
        # slot there (a known limit: only the reported location could differ).
        st.dictionaries(
            st.text(max_size=6).filter(lambda k: k != KEY), inner, max_size=4
        ),
    ),
    max_leaves=20,
)


@given(doc=documents, flow=st.booleans())
def test_random_documents_agree(doc: Any, flow: bool) -> None:
    """Any YAML that PyYAML writes reads identically through events and nodes."""
    agree(yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True))


@given(text=st.text(alphabet="ab:- \n[]{},'\"#&*!|>?\t0", max_size=60))
def test_random_text_agrees_or_fails_cleanly(text: str) -> None:
    """Arbitrary text either reads as the oracle reads it or gives one syntax problem."""
    agree(text)


def test_alias_budget_counts_every_expanded_value() -> None:
    """Aliases may expand to ALIAS_BUDGET values in all; one more is a located problem."""
    from fsmchat._core.source import ALIAS_BUDGET

    items = ", ".join(["x"] * 99)
    uses = ALIAS_BUDGET // 100
    ok = f"a: &a [{items}]\nb: [" + ", ".join(["*a"] * (uses - 1)) + "]\n"
    data, _, problems = compose(ok, path="ok.yaml")
    assert problems == []
    assert len(data["b"]) == uses - 1
    over = f"a: &a [{items}]\nb: [" + ", ".join(["*a"] * (uses + 1)) + "]\n"
    data, _, problems = compose(over, path="over.yaml")
    assert data is None
    assert [(p.code, p.line) for p in problems] == [("alias-budget", 2)]
    assert load_yaml(over) is FAILED


def test_nesting_deeper_than_the_limit_is_a_problem() -> None:
    """MAX_DEPTH levels parse; one more is a located too-deep problem (no recursion anywhere)."""
    from fsmchat._core.source import MAX_DEPTH

    fine = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert compose(fine, path="f.yaml")[2] == []
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    problems = compose(deep, path="d.yaml")[2]
    assert [(p.code, p.column) for p in problems] == [("too-deep", MAX_DEPTH + 1)]
    assert compose(deep, path="d.yaml")[2] == problems  # the same limit every time
