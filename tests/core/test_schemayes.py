"""The quick schema "yes" (issue 26): never yes where ``jsonschema`` says no."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fsmchat._core.build import load_schema
from fsmchat._core.schemayes import surely_valid
from fsmchat._core.source import load_json, load_yaml
from tests.helpers import ROOT, SPECS

SCHEMA = load_schema()
FULL = jsonschema.Draft202012Validator(SCHEMA)


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    data = load_json(text)
    return load_yaml(text) if data is None else data


def _documents() -> list[tuple[str, Any]]:
    files = sorted(SPECS.glob("*.yaml")) + sorted((ROOT / "tests").rglob("*.yaml"))
    return [(str(p.relative_to(ROOT)), _load(p)) for p in files]


#: Slips of one value each, applied to every spec: each must not pass as valid.
MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("no agents", lambda d: d.pop("agents")),
    ("agents empty", lambda d: d.update(agents=[])),
    ("unknown key", lambda d: d.update(agnets=[])),
    ("max_round text", lambda d: d.update(max_round="25")),
    ("max_round fraction", lambda d: d.update(max_round=25.5)),
    ("max_round bool", lambda d: d.update(max_round=True)),
    ("max_round zero", lambda d: d.update(max_round=0)),
    ("end twice", lambda d: d.update(end=["A", "A"])),
    ("end not text", lambda d: d.update(end=[1])),
    ("agent kind", lambda d: d["agents"][0].update(kind="robot")),
    ("agent name empty", lambda d: d["agents"][0].update(name="")),
    ("agent extra key", lambda d: d["agents"][0].update(nmae="x")),
    ("function space", lambda d: d["agents"][0].update(function="a.b: c")),
    ("function no colon", lambda d: d["agents"][0].update(function="a.b.c")),
    ("function unicode", lambda d: d["agents"][0].update(function="é:c")),
    ("edge to missing", lambda d: d["transitions"][0].pop("to")),
    ("edge when empty", lambda d: d["transitions"][0].update(when={})),
    ("edge when call list", lambda d: d["transitions"][0].update(when={"call": []})),
    ("edge when not bad", lambda d: d["transitions"][0].update(when={"not": 3})),
    ("transitions mapping", lambda d: d.update(transitions={})),
]


@pytest.mark.parametrize(("name", "document"), _documents())
def test_quick_yes_agrees_with_jsonschema_on_every_spec(
    name: str, document: Any
) -> None:
    """Every spec and test document: a quick yes only where jsonschema finds no error."""
    valid = FULL.is_valid(document)
    assert not surely_valid(document, SCHEMA) or valid, name
    if name.startswith("specs/"):
        assert valid, name
        assert surely_valid(document, SCHEMA), name  # the fast path is taken


@pytest.mark.parametrize(("slip", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_quick_yes_refuses_each_schema_slip(
    slip: str, mutate: Callable[[dict[str, Any]], None]
) -> None:
    """A one-value slip in any shipped spec never gets the quick yes."""
    for path in sorted(SPECS.glob("*.yaml")):
        document = copy.deepcopy(_load(path))
        mutate(document)
        assert not FULL.is_valid(document), (slip, path.name)
        assert not surely_valid(document, SCHEMA), (slip, path.name)


def test_unknown_keyword_is_unsure() -> None:
    """A schema keyword the quick check does not know sends the document to the full validator."""
    schema = json.loads('{"type": "object", "maxProperties": 1}')
    assert not surely_valid({}, schema)
    assert surely_valid({}, {"type": "object"})


def test_pattern_on_text_with_a_newline_is_unsure() -> None:
    """Where Python's ``re`` and ECMA regexes differ (``$`` before a newline), no quick yes."""
    schema = {"type": "string", "pattern": "^a$"}
    assert surely_valid("a", schema)
    assert not surely_valid("a\n", schema)
