"""Chats for the viewer's tests (and the viewer guide's screenshot), made for real.

* :func:`nl_record`: a record of ``specs/counting_nl.yaml`` run by ``fsmchat run
  --record`` against a model on 127.0.0.1 (:class:`FakeOpenAIServer`) that
  judges correctly, except that its first answer is garbage (refused, re-asked).
* :func:`counting_transcript`: ``fsmchat run specs/counting.yaml --json``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fsmchat.cli import main
from fsmchat.testing import FakeOpenAIServer
from tests.helpers import SPECS, judge_counting

NL_SPEC = SPECS / "counting_nl.yaml"
COUNTING = SPECS / "counting.yaml"
#: The model's first answer: not JSON, and markup that must show as text.
GARBAGE = "Sure! <b>Executor</b><script>document.title='pwned'</script>"


def nl_record(
    path: Path, *, garbage: str = GARBAGE, cache_dir: Path | None = None
) -> Path:
    """Record counting_nl at ``path``: its first judge answer is ``garbage``.

    With ``cache_dir`` the run uses (and fills) that response cache.
    """
    calls = itertools.count()

    def model(body: dict[str, Any]) -> Any:
        return garbage if next(calls) == 0 else judge_counting(body)

    with FakeOpenAIServer(model) as server:
        config = path.with_name(path.name + ".oai.json")
        config.write_text(
            json.dumps(
                [{"model": "judge", "api_key": "sk-test", "base_url": server.base_url}]
            )
        )
        args = ["run", str(NL_SPEC), "--config", str(config)]
        args += ["--no-cache"] if cache_dir is None else ["--cache-dir", str(cache_dir)]
        result = CliRunner().invoke(main, [*args, "--record", str(path)])
        assert not server.handler_errors
    assert result.exit_code == 0, result.output
    return path


def counting_transcript(path: Path) -> Path:
    """Write ``fsmchat run specs/counting.yaml --json`` to ``path``."""
    result = CliRunner().invoke(main, ["run", str(COUNTING), "--json", str(path)])
    assert result.exit_code == 0, result.output
    return path
