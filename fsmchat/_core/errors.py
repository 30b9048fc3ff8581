"""The fsmchat error tree.

Every error fsmchat raises derives from :class:`FsmchatError`. Where a built-in
category fits, the class also subclasses it, so ``except ValueError`` keeps
working for callers that do not know fsmchat::

    FsmchatError(Exception)
    ├── SpecError(FsmchatError, ValueError)      a spec failed to parse or build
    │   └── UnallowedCode                         it names code outside the allow-list
    ├── RecordError(FsmchatError, ValueError)    a chat record is torn, corrupt or does not fit
    ├── SpeakerSelectionError(FsmchatError, ValueError)  a selection callable gave nonsense
    ├── InvalidArgument(FsmchatError, TypeError) a bad argument to a public function
    ├── EngineError(FsmchatError, RuntimeError)  the caller misused the engine
    ├── NoRoute(FsmchatError)                     no legal edge could be taken
    ├── UserCodeError(FsmchatError, RuntimeError) a spec's function agent or guard raised
    └── BoundaryError(FsmchatError)               a port failed (model, human, code)
        ├── LLMError                              every endpoint failed
        ├── HumanError                            the human port failed
        └── CodeRunError                          code could not be run at all

Errors keep structured attributes (``.problems``, ``.agent``, ...) so callers
never parse strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

__all__ = [
    "BoundaryError",
    "CodeRunError",
    "EngineError",
    "FsmchatError",
    "HumanError",
    "InvalidArgument",
    "LLMError",
    "NoRoute",
    "Problem",
    "RecordError",
    "SpeakerSelectionError",
    "SpecError",
    "UnallowedCode",
    "UserCodeError",
]


class FsmchatError(Exception):
    """Base class of every error fsmchat raises."""


@attrs.frozen(kw_only=True)
class Problem:
    """One problem found in a spec, with where it is and a stable code."""

    message: str
    path: str = "<spec>"
    line: int = 0
    column: int = 0
    severity: str = "error"
    code: str = "spec"

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where = f"{where}:{self.line}:{self.column or 1}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


class SpecError(FsmchatError, ValueError):
    """A spec could not be parsed or built; ``problems`` lists every problem.

    ``partial`` is the spec built from the parts that had no problem, when the
    builder could make one (the checker looks at its graph too, so a file's
    schema errors and graph errors are reported at once); never run it.
    """

    def __init__(self, problems: Sequence[Problem], *, partial: object = None) -> None:
        self.problems = tuple(problems)
        self.partial = partial
        super().__init__("\n".join(str(p) for p in self.problems))


class UnallowedCode(SpecError):
    """A spec names code (``call:``, ``function:``) outside the allow-list.

    Raised before anything is imported; each problem names the reference, where
    it is written, and how to allow it.
    """


class RecordError(FsmchatError, ValueError):
    """A record cannot be read, does not fit the spec, or cannot be written.

    Attributes:
        path: the record file.
        line: the 1-based line at fault (0 when the whole file is).
    """

    def __init__(self, message: str, *, path: str, line: int = 0) -> None:
        self.path = path
        self.line = line
        super().__init__(message)


class SpeakerSelectionError(FsmchatError, ValueError):
    """A custom speaker-selection function returned something unusable."""


class InvalidArgument(FsmchatError, TypeError):
    """A public function was called with an argument it cannot accept."""


class EngineError(FsmchatError, RuntimeError):
    """The engine was fed an event it was not waiting for, or is stopped."""


class NoRoute(FsmchatError):
    """No legal edge could be taken out of ``agent`` at ``round``.

    ``evaluated`` holds what the engine looked at: each edge with its guard
    result, so the cause can be read without re-running the chat.
    """

    def __init__(
        self,
        message: str,
        *,
        agent: str,
        round: int,
        evaluated: Sequence[Any] = (),  # GuardResults: state imports errors, not back
    ) -> None:
        self.agent = agent
        self.round = round
        self.evaluated = tuple(evaluated)
        super().__init__(message)


class UserCodeError(FsmchatError, RuntimeError):
    """A function a spec names (a function agent's reply, a ``call:`` guard) raised.

    Attributes:
        where: what raised, e.g. ``agent 'Writer'`` or ``guard pkg.mod:f``.
        error: the exception it raised (also ``__cause__``).
    """

    def __init__(self, message: str, *, where: str, error: BaseException) -> None:
        self.where = where
        self.error = error
        super().__init__(message)


class BoundaryError(FsmchatError):
    """A port (model endpoint, human, code runner) failed."""


class LLMError(BoundaryError):
    """A model call failed on every configured endpoint.

    ``endpoints`` names what was tried (model and base URL, never a key) and
    ``errors`` the error seen at each.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoints: Sequence[str] = (),
        errors: Sequence[str] = (),
    ) -> None:
        self.endpoints = tuple(endpoints)
        self.errors = tuple(errors)
        super().__init__(message)


class HumanError(BoundaryError):
    """The human port could not deliver an answer (e.g. no terminal)."""


class CodeRunError(BoundaryError):
    """Code could not be run at all (e.g. Docker requested but unavailable)."""
