"""Shared test configuration: hypothesis profiles.

``dev`` (default) keeps the suite quick; ``ci`` (chosen when ``CI`` is set, or by
``FSMCHAT_HYPOTHESIS_PROFILE=ci``) is derandomized and runs more examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
_default = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("FSMCHAT_HYPOTHESIS_PROFILE", _default))

#: Examples for the legality property: at least 1,000 on CI, as the engine issue asks.
LEGALITY_EXAMPLES = 1000 if settings().derandomize else 200
