"""Fenced code block extraction (fsmchat._core.codeblocks)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmchat._core.codeblocks import (
    CodeBlock,
    extract_code_blocks,
    infer_language,
    normalize_language,
)


def test_blocks_come_back_in_order_with_their_languages() -> None:
    """Two tagged blocks are returned in message order, tags normalised."""
    text = "First:\n```py\nprint(1)\n```\nthen\n```bash\necho hi\n```\n"
    assert extract_code_blocks(text) == [
        CodeBlock(language="python", code="print(1)", info="py"),
        CodeBlock(language="bash", code="echo hi", info="bash"),
    ]


def test_text_without_fences_has_no_blocks() -> None:
    """Prose and inline ``code`` spans yield nothing."""
    assert extract_code_blocks("Use `x = 1` and ```inline``` here.") == []


def test_tilde_fences_and_longer_fences() -> None:
    """``~~~`` fences work, and a 4-backtick fence can contain a 3-backtick line."""
    text = "~~~python\nx = 1\n~~~\n````markdown\n```\ninner\n```\n````\n"
    blocks = extract_code_blocks(text)
    assert [b.language for b in blocks] == ["python", "markdown"]
    assert blocks[1].code == "```\ninner\n```"


def test_a_tilde_line_does_not_close_a_backtick_fence() -> None:
    """Only the opening fence's character closes it."""
    text = "```python\na = '~~~'\n~~~\nprint(a)\n```"
    assert extract_code_blocks(text)[0].code == "a = '~~~'\n~~~\nprint(a)"


def test_unterminated_fence_is_dropped_by_default() -> None:
    """A truncated block is not returned unless asked, and is then marked incomplete."""
    text = "ok\n```python\nprint(1)\n```\n```python\nprint('half"
    assert len(extract_code_blocks(text)) == 1
    blocks = extract_code_blocks(text, include_unterminated=True)
    assert [b.complete for b in blocks] == [True, False]
    assert blocks[1].code == "print('half"


def test_indented_fence_is_dedented() -> None:
    """Up to three spaces of fence indentation are removed from the body."""
    text = "  ```python\n  x = 1\n    y = 2\n  ```"
    assert extract_code_blocks(text)[0].code == "x = 1\n  y = 2"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("Python", "python"),
        ("python3", "python"),
        ("{.py}", "python"),
        ("sh", "sh"),
        ("shell", "sh"),
        ("bash", "bash"),
        ("js title=x.js", "js"),
        ("", ""),
    ],
)
def test_normalize_language(tag: str, expected: str) -> None:
    """Tags are lower-cased, aliased and read from the first word."""
    assert normalize_language(tag) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = 1\nprint(x)", "python"),
        ("pip install numpy", "sh"),
        ("ls -la", "sh"),
        ("ls", "sh"),
        ("python3 script.py", "sh"),
        ("ls = 3", "python"),
        ("cat(1)", "python"),
        ("# comment\necho $HOME", "sh"),
        ("this is just prose, not code", ""),
        ("", ""),
    ],
)
def test_infer_language(code: str, expected: str) -> None:
    """Untagged blocks: shell commands first, then Python if it parses, else unknown."""
    assert infer_language(code) == expected


def test_untagged_blocks_are_marked_inferred() -> None:
    """An untagged block records that its language was guessed."""
    (block,) = extract_code_blocks("```\nprint('hi')\n```")
    assert block.inferred
    assert block.language == "python"
    assert block.is_code


def test_data_blocks_are_not_code() -> None:
    """Output, text and JSON blocks, and unknown untagged ones, are not code to run."""
    text = "```text\n7\n```\n```json\n{}\n```\n```\nnot code at all\n```\n```js\n1\n```"
    assert [b.is_code for b in extract_code_blocks(text)] == [False, False, False, True]


_lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]),
        max_size=20,
    ).filter(lambda s: "`" not in s and "~" not in s),
    max_size=5,
)


@given(
    st.lists(
        st.tuples(st.sampled_from(["python", "sh", "js", "text"]), _lines), max_size=4
    ),
    st.lists(_lines, min_size=5, max_size=5),
)
def test_rendered_blocks_are_extracted_back(
    blocks: list[tuple[str, list[str]]], prose: list[list[str]]
) -> None:
    """Blocks written with fences between prose come back exactly, in order."""
    parts = []
    for i, (lang, lines) in enumerate(blocks):
        parts.append("\n".join(ln.strip() for ln in prose[i]))
        parts.append(f"```{lang}\n" + "\n".join(lines) + "\n```")
    text = "\n".join(parts)
    got = extract_code_blocks(text)
    assert [(b.language, b.code) for b in got] == [
        (lang, "\n".join(lines)) for lang, lines in blocks
    ]
