"""Shared test configuration: hypothesis profiles.

``dev`` (default) keeps the suite quick; ``ci`` (chosen when ``CI`` is set, or by
``FSMCHAT_HYPOTHESIS_PROFILE=ci``) is derandomized and runs more examples;
``mutation`` (``tests/mutation/mutate.py``) is derandomized, keeps no example database
and runs few examples without shrinking, so each mutant is judged fast and the same way every time.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "mutation",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is enough: no shrinking
    suppress_health_check=[HealthCheck.too_slow],
)
_default = "ci" if os.environ.get("CI") else "dev"
PROFILE = os.environ.get("FSMCHAT_HYPOTHESIS_PROFILE", _default)
settings.load_profile(PROFILE)

#: Examples for the legality property: at least 1,000 on CI, as the engine issue asks.
LEGALITY_EXAMPLES = {"ci": 1000, "mutation": 40}.get(PROFILE, 200)
#: Examples for the differential tests against tests/reference.py: >= 1,000 on CI.
DIFFERENTIAL_EXAMPLES = {"ci": 1000, "mutation": 60}.get(PROFILE, 100)


@pytest.fixture(autouse=True)
def _no_record_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test sees the developer's record key or response cache: tests that want one set it."""
    monkeypatch.delenv("FSMCHAT_RECORD_KEY", raising=False)
    monkeypatch.delenv("FSMCHAT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
