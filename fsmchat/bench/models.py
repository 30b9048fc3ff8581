"""The selectors under test ("models"): oracle, noisy:P, replay:FILE, openai[:MODEL].

All of them are :class:`fsmchat.Selector` ports with ``can_judge = True``; the
engine validates their answers like any model's.

* ``oracle`` knows the ground truth. For a :class:`~fsmchat.Choose` it answers
  the target of the edge the ground-truth FSM takes from the current chat; for
  a :class:`~fsmchat.Judge`, each condition's verdict is the ``when`` guard of
  the same edge. It reads the whole chat through a :class:`TrialContext` that
  the runner keeps up to date (decision requests carry only a bounded context).
* ``noisy:P`` is a **simulation** of an unreliable model, not a model: with
  probability ``1 - P`` it answers like the oracle; otherwise it makes one of
  three mistakes, chosen uniformly: a *wrong legal answer* (another candidate,
  or flipped verdicts), an *illegal answer* (a name that is not a candidate:
  another agent of the spec or an invented one such as ``chat_manager``; for a
  Judge, a name where verdicts were asked), or *garbage* (unparseable text).
  Every draw comes from a ``random.Random`` seeded per trial, so a run is
  reproducible. Each re-ask draws again.
* ``replay:FILE`` answers from a file of recorded answers (the benchmark
  writes one per model to ``OUT/answers/``); a request that does not match the
  recording is an error, so a replay is exact or fails loudly.
* ``openai[:MODEL]`` is a real endpoint through ``fsmchat._run.llm.LLMSelector`` and
  a config list (``--config OAI_CONFIG_LIST``). Opt-in; it costs money.

Prompt tokens are what an LLM selector *would* send for each request, built by
``fsmchat._core.prompts`` and counted offline by ``fsmchat.adapters._tokens`` (tiktoken
cl100k): the same for every model, so costs compare across modes.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from fsmchat import Answer, ChatView, Choose, Judge, Message, Spec
from fsmchat._core.errors import FsmchatError, InvalidArgument
from fsmchat._core.text import did_you_mean
from fsmchat.adapters._files import read_json
from fsmchat.bench.scenarios import NoGroundTruth, truth_next

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "MODEL_KINDS",
    "REPLAY_FORMAT",
    "Exchange",
    "ModelSpec",
    "NoisySelector",
    "OracleSelector",
    "Recorder",
    "ReplayBook",
    "ReplayError",
    "ReplaySelector",
    "SelectorFactory",
    "TrialContext",
    "file_label",
    "make_factory",
    "parse_model",
    "prompt_digest",
    "prompt_tokens",
    "write_replay",
]

MODEL_KINDS = ("oracle", "noisy", "replay", "openai")
REPLAY_FORMAT = "fsmchat.bench-answers/1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"

_INVENTED = ("chat_manager", "Manager", "Assistant", "nobody")
_GARBAGE = (
    "",
    "I think the conversation should continue with whoever knows best.",
    '{"next": ',
    "NEXT SPEAKER: ???",
    "As an AI language model, I cannot decide that.",
)


class ReplayError(FsmchatError, RuntimeError):
    """A replayed run asked something the recording does not hold."""


def prompt_digest(request: Choose | Judge) -> str:
    """The sha256 of the messages an LLM selector sends for ``request``.

    Recordings keep it per answer, so a replay whose prompts changed (the
    prompt text, a description, a condition, the context) is an error.
    """
    from fsmchat._core.prompts import choose_messages, judge_messages

    messages = (
        choose_messages(request)
        if isinstance(request, Choose)
        else judge_messages(request)
    )
    text = json.dumps(messages, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prompt_tokens(request: Choose | Judge) -> int:
    """Return the prompt tokens an LLM selector would send for ``request``.

    Built with ``fsmchat._core.prompts`` and counted offline with ``fsmchat.adapters._tokens``.
    """
    from fsmchat._core.prompts import choose_messages, judge_messages
    from fsmchat.adapters._tokens import count_message_tokens

    if isinstance(request, Choose):
        return count_message_tokens(choose_messages(request))
    return count_message_tokens(judge_messages(request))


@attrs.frozen(kw_only=True)
class ModelSpec:
    """A parsed ``--models`` entry.

    Attributes:
        label: the text as given (how reports name the model).
        kind: one of :data:`MODEL_KINDS`.
        p: the error probability of ``noisy``.
        path: the file of ``replay``.
        model: the model name of ``openai``.
    """

    label: str
    kind: str
    p: float = 0.0
    path: str | None = None
    model: str | None = None

    @property
    def simulated(self) -> bool:
        """True for models that need no endpoint (everything but ``openai``)."""
        return self.kind != "openai"


def parse_model(text: str) -> ModelSpec:
    """Parse ``oracle``, ``noisy:P``, ``replay:FILE`` or ``openai[:MODEL]``.

    Raises:
        InvalidArgument: unknown kind (with a "did you mean" hint), ``P``
            outside [0, 1], a missing replay file.
    """
    kind, sep, arg = text.strip().partition(":")
    kind = kind.lower()
    if kind == "oracle" and not sep:
        return ModelSpec(label="oracle", kind="oracle")
    if kind == "noisy":
        try:
            p = float(arg)
        except ValueError:
            p = -1.0
        if not sep or not 0.0 <= p <= 1.0:
            msg = f"model {text!r}: noisy needs an error probability between 0 and 1, e.g. noisy:0.2"
            raise InvalidArgument(msg)
        return ModelSpec(label=f"noisy:{arg}", kind="noisy", p=p)
    if kind == "replay":
        if not arg:
            msg = f"model {text!r}: replay needs a file of recorded answers, e.g. replay:OUT/answers/noisy-0.2.json"
            raise InvalidArgument(msg)
        if not Path(arg).is_file():
            msg = f"model {text!r}: no such file {arg!r} (the benchmark writes recordings to OUT/answers/)"
            raise InvalidArgument(msg)
        return ModelSpec(label=f"replay:{Path(arg).stem}", kind="replay", path=arg)
    if kind == "openai":
        name = arg or DEFAULT_OPENAI_MODEL
        return ModelSpec(label=f"openai:{name}", kind="openai", model=name)
    forms = ("oracle", "noisy:P", "replay:FILE", "openai[:MODEL]")
    hint = did_you_mean(kind, MODEL_KINDS)
    msg = f"unknown model {text!r}{hint} (expected one of {', '.join(forms)})"
    raise InvalidArgument(msg)


def file_label(label: str) -> str:
    """A file-name-safe form of a model label (``noisy:0.2`` -> ``noisy-0.2``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "model"


class TrialContext:
    """What a ground-truth-aware selector knows about its trial.

    The runner appends every message to :attr:`messages` (through the driver's
    ``on_message``), so the context always holds the whole chat so far.
    """

    def __init__(self, spec: Spec, *, key: str, seed: str) -> None:
        self.spec = spec
        self.key = key
        self.rng = random.Random(seed)
        self.messages: list[Message] = []

    def on_message(self, message: Message) -> None:
        """Record one message of the chat."""
        self.messages.append(message)

    def expected_choice(self, request: Choose) -> str | None:
        """The ground-truth next speaker after ``request.speaker``."""
        return truth_next(self.spec, self.messages, request.speaker)

    def expected_verdicts(self, request: Judge) -> list[bool]:
        """The ground-truth verdict of each condition in ``request``.

        Raises:
            NoGroundTruth: a condition matches no edge with a ``when`` guard.
        """
        view = ChatView(self.messages, request.speaker)
        edges = [e for e in self.spec.out_edges[request.speaker] if e.on is not None]
        verdicts = []
        for c in request.conditions:
            edge = next(
                (e for e in edges if e.target == c.target and e.on == c.text), None
            )
            if edge is None or edge.when is None:
                msg = f"condition {c.text!r} ({request.speaker} -> {c.target}) has no 'when' guard to judge it by"
                raise NoGroundTruth(msg)
            edges.remove(edge)
            verdicts.append(edge.when.evaluate(view))
        return verdicts


def _choice(name: str | None) -> Answer:
    if name is None:
        return Answer(value=None, raw="<the ground truth has no next speaker>")
    return Answer(value=name, raw=json.dumps({"next": name}))


def _verdicts(values: Sequence[bool]) -> Answer:
    return Answer(value=list(values), raw=json.dumps({"verdicts": list(values)}))


class OracleSelector:
    """Answers every request with the ground truth."""

    can_judge = True

    def __init__(self, context: TrialContext) -> None:
        self.context = context

    def select(self, request: Choose | Judge) -> Answer:
        """Return the ground-truth answer to ``request``."""
        if isinstance(request, Choose):
            return _choice(self.context.expected_choice(request))
        return _verdicts(self.context.expected_verdicts(request))


class NoisySelector:
    """A simulated unreliable model: the oracle, wrong with probability ``p``.

    See the module docstring for the three kinds of mistakes. ``mistakes``
    counts them by kind.
    """

    can_judge = True

    def __init__(self, context: TrialContext, p: float) -> None:
        self.context = context
        self.p = p
        self.mistakes = {"wrong": 0, "illegal": 0, "garbage": 0}

    def select(self, request: Choose | Judge) -> Answer:
        """Return the right answer with probability ``1 - p``, else a mistake."""
        rng = self.context.rng
        if rng.random() >= self.p:
            return OracleSelector(self.context).select(request)
        kind = rng.choice(("wrong", "illegal", "garbage"))
        if isinstance(request, Choose):
            answer = self._choose_mistake(request, kind)
        else:
            answer = self._judge_mistake(request, kind)
        return answer

    def _choose_mistake(self, request: Choose, kind: str) -> Answer:
        rng = self.context.rng
        truth = self.context.expected_choice(request)
        others = [n for n in request.names if n != truth]
        if kind == "wrong" and others:
            self.mistakes["wrong"] += 1
            return _choice(rng.choice(others))
        if kind in ("wrong", "illegal"):
            self.mistakes["illegal"] += 1
            outside = [n for n in self.context.spec.names if n not in request.names]
            name = rng.choice([*outside, *_INVENTED])
            return Answer(value=name, raw=json.dumps({"next": name}))
        self.mistakes["garbage"] += 1
        return Answer(value=None, raw=rng.choice(_GARBAGE))

    def _judge_mistake(self, request: Judge, kind: str) -> Answer:
        rng = self.context.rng
        if kind == "wrong":
            self.mistakes["wrong"] += 1
            truth = self.context.expected_verdicts(request)
            n = len(truth)
            flip = rng.randrange(1, 2**n) if n else 0
            return _verdicts([v != bool(flip >> i & 1) for i, v in enumerate(truth)])
        if kind == "illegal":
            self.mistakes["illegal"] += 1
            name = rng.choice([c.target for c in request.conditions] or ["nobody"])
            return Answer(value=name, raw=json.dumps({"next": name}))
        self.mistakes["garbage"] += 1
        return Answer(value=None, raw=rng.choice(_GARBAGE))


@attrs.frozen(kw_only=True)
class Exchange:
    """One request a selector saw and the answer it gave (for recordings)."""

    request: Choose | Judge
    answer: Answer

    def to_dict(self) -> dict[str, Any]:
        """Return the exchange as a replay-file entry."""
        value = self.answer.value
        return {
            "kind": "choose" if isinstance(self.request, Choose) else "judge",
            "speaker": self.request.speaker,
            "round": self.request.round,
            "attempt": self.request.attempt,
            "value": value if value is None or isinstance(value, str) else list(value),
            "raw": self.answer.raw,
            "prompt_sha256": prompt_digest(self.request),
        }


class Recorder:
    """Wraps a selector; records every request and answer, calls it sync or async."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.can_judge = bool(getattr(inner, "can_judge", False))
        self.exchanges: list[Exchange] = []

    def select(self, request: Choose | Judge) -> Answer:
        """Ask the wrapped selector and record the exchange."""
        answer: Answer = self.inner.select(request)
        self.exchanges.append(Exchange(request=request, answer=answer))
        return answer

    async def aselect(self, request: Choose | Judge) -> Answer:
        """The async form of :meth:`select` (awaits ``inner.aselect`` if any)."""
        amethod = getattr(self.inner, "aselect", None)
        if amethod is not None:
            answer: Answer = await amethod(request)
        else:
            answer = self.inner.select(request)
        self.exchanges.append(Exchange(request=request, answer=answer))
        return answer


class ReplayBook:
    """Recorded answers, keyed by ``scenario/mode/trial``.

    The file is JSON: ``{"format": "fsmchat.bench-answers/1", "model": label,
    "answers": {"counting/free/0": [{"kind", "speaker", "round", "attempt",
    "value", "raw", "prompt_sha256"}, ...], ...}}``; ``prompt_sha256`` (the
    digest of the prompt, :func:`prompt_digest`) is checked when present.
    """

    def __init__(self, path: str, model: str, answers: Mapping[str, list[Any]]) -> None:
        self.path = path
        self.model = model
        self.answers = answers

    @classmethod
    def load(cls, path: str) -> ReplayBook:
        """Read a recording.

        Raises:
            InvalidArgument: the file is unreadable or not a recording.
        """
        try:
            data = read_json(path)
        except InvalidArgument as exc:
            msg = f"cannot read recorded answers: {exc}"
            raise InvalidArgument(msg) from None
        if (
            not isinstance(data, dict)
            or data.get("format") != REPLAY_FORMAT
            or not isinstance(data.get("answers"), dict)
        ):
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            msg = f"{path!r} is not a recording of benchmark answers: expected format {REPLAY_FORMAT!r}, got {got!r}"
            raise InvalidArgument(msg)
        return cls(path, str(data.get("model", "")), data["answers"])

    def selector(self, key: str) -> ReplaySelector:
        """Return a selector replaying the answers recorded for trial ``key``.

        Raises:
            ReplayError: nothing was recorded for ``key``.
        """
        if key not in self.answers:
            known = sorted(self.answers)
            shown = ", ".join(known[:5]) + (" ..." if len(known) > 5 else "")
            msg = f"{self.path}: no answers recorded for {key!r} (recorded: {shown or 'none'}); replay with the scenarios, modes and trials of the recorded run"
            raise ReplayError(msg)
        return ReplaySelector(self.answers[key], where=f"{self.path}[{key}]")


class ReplaySelector:
    """Answers from a recorded list, checking each request matches the recording."""

    can_judge = True

    def __init__(self, entries: Sequence[Mapping[str, Any]], *, where: str) -> None:
        self.entries = list(entries)
        self.where = where
        self.used = 0

    def select(self, request: Choose | Judge) -> Answer:
        """Return the next recorded answer.

        Raises:
            ReplayError: the recording is exhausted or was made for another request.
        """
        kind = "choose" if isinstance(request, Choose) else "judge"
        if self.used >= len(self.entries):
            msg = f"{self.where}: recording exhausted after {self.used} answers, but a {kind} request came at round {request.round}"
            raise ReplayError(msg)
        entry = self.entries[self.used]
        self.used += 1
        expected = (entry.get("kind"), entry.get("speaker"), entry.get("round"))
        got = (kind, request.speaker, request.round)
        if expected != got:
            msg = f"{self.where}: answer #{self.used} was recorded for {expected}, but the run asks {got}; the chat diverged from the recording"
            raise ReplayError(msg)
        digest = entry.get("prompt_sha256")
        if digest is not None and digest != prompt_digest(request):
            msg = f"{self.where}: answer #{self.used} ({kind}, {request.speaker}, round {request.round}) was recorded for another prompt; the prompts or the spec changed since the recording: record it again"
            raise ReplayError(msg)
        value = entry.get("value")
        return Answer(value=value, raw=str(entry.get("raw", "")))


def write_replay(path: Path, model: str, answers: Mapping[str, list[Any]]) -> None:
    """Write a recording that ``replay:PATH`` can answer from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": REPLAY_FORMAT, "model": model, "answers": dict(answers)}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


SelectorFactory = Callable[[TrialContext, str], Any]


def make_factory(
    model: ModelSpec, *, config: str | None = None, cache_dir: str | None = None
) -> SelectorFactory:
    """Return ``factory(context, key) -> selector`` for ``model``.

    For ``openai`` the endpoint is set up once here and shared by all trials;
    with ``cache_dir`` its answers are cached on disk there, so a request
    identical to an earlier one (same messages, model, temperature 0) is
    answered once.

    Raises:
        InvalidArgument: ``openai`` without ``config``, or a bad config/recording.
    """
    if model.kind == "oracle":
        return lambda ctx, key: OracleSelector(ctx)
    if model.kind == "noisy":
        p = model.p
        return lambda ctx, key: NoisySelector(ctx, p)
    if model.kind == "replay":
        assert model.path is not None
        book = ReplayBook.load(model.path)
        return lambda ctx, key: book.selector(key)
    return _openai_factory(model, config, cache_dir)


class _OpenAIFactory:
    """Builds :class:`fsmchat._run.llm.LLMSelector` s over one shared chat model."""

    def __init__(self, chat_model: Any, model_name: str | None) -> None:
        self.chat_model = chat_model
        self.model_name = model_name

    def __call__(self, context: TrialContext, key: str) -> Any:
        from fsmchat._run.llm import LLMSelector

        return LLMSelector(self.chat_model, model_name=self.model_name)

    def close(self) -> None:
        """Close the endpoint's client."""
        close = getattr(self.chat_model, "close", None)
        if close is not None:
            close()


def _openai_factory(
    model: ModelSpec, config: str | None, cache_dir: str | None
) -> SelectorFactory:
    if not config:
        msg = f"model {model.label!r} calls a real endpoint: pass --config OAI_CONFIG_LIST (a file or an environment variable holding the config list)"
        raise InvalidArgument(msg)
    from fsmchat.adapters._config import config_list_from_json, make_chat_model

    configs = config_list_from_json(config, filter_dict={"model": [model.model]})
    if not configs:
        msg = f"--config {config!r} has no entry for model {model.model!r}; add one or pick a model it lists"
        raise InvalidArgument(msg)
    chat_model = make_chat_model(
        {
            "config_list": configs,
            "temperature": 0,
            "cache_seed": None if cache_dir is None else 0,
        },
        cache_dir=cache_dir,
    )
    return _OpenAIFactory(chat_model, model.model)
