"""AutoGen's own v0.2 notebooks, ported with only the import changed, run as on AutoGen.

Each program in ``tests/data/autogen_programs/nb_*.py`` is the code cells of an
official AutoGen 0.2.40 notebook or tutorial page with ``autogen`` replaced by
``fsmchat.autogen``. Its golden in ``tests/golden/autogen/`` is what real
AutoGen 0.2.40 printed and stored when run against the same fake model and the
same typed input (``python -m tests.autogen.notebook_runner --golden``). The
test runs fsmchat and compares the printed text, each group chat's speaker
order and every agent's final ``chat_messages`` (see ``notebook_runner``).
"""

from __future__ import annotations

import pytest

from fsmchat._core.errors import CodeRunError
from fsmchat.adapters._sandbox import check_sandbox
from tests.autogen.notebook_runner import (
    golden_path,
    load_golden,
    run,
    verdict,
)
from tests.autogen.notebook_worlds import NOTEBOOKS


def _sandbox_problem() -> str | None:
    try:
        check_sandbox()
    except CodeRunError as exc:
        return str(exc)
    return None


_NO_SANDBOX = _sandbox_problem()


def _cases() -> list[object]:
    cases: list[object] = []
    for program, notebook in sorted(NOTEBOOKS.items()):
        marks = []
        if notebook.pending:
            marks.append(pytest.mark.xfail(strict=True, reason=notebook.pending))
        if notebook.runs_code and _NO_SANDBOX:
            marks.append(
                pytest.mark.skip(reason=f"no working bubblewrap: {_NO_SANDBOX}")
            )
        cases.append(pytest.param(program, marks=marks, id=program.removesuffix(".py")))
    return cases


@pytest.mark.parametrize("program", _cases())
def test_notebook_runs_as_on_autogen(program: str) -> None:
    """Same printed text, speaker order and chat_messages as AutoGen 0.2.40, no traceback."""
    got = run(program)
    assert got["handler_errors"] == []
    assert verdict(load_golden(program), got, program).startswith("same"), got["stderr"]


def test_every_ported_notebook_has_a_clean_golden() -> None:
    """Each golden is a complete AutoGen run: no exception, every model request answered."""
    assert len(NOTEBOOKS) >= 10
    for program in NOTEBOOKS:
        assert golden_path(program).exists(), program
        golden = load_golden(program)
        assert golden["error"] is None, program
        assert golden["handler_errors"] == [], program
        assert golden["requests"] > 0, program
