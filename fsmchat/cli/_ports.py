"""What a chat run by ``fsmchat run`` needs: its ports and what it shows.

Shared by the chat run here (:mod:`fsmchat.cli._run`) and the recorded one
(:mod:`fsmchat.cli._recorded`).
"""

from __future__ import annotations

import os
from typing import Any

import attrs
import click

from fsmchat._core.errors import FsmchatError, InvalidArgument
from fsmchat._core.events import Finished
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message
from fsmchat._run.ports import Human, Responder, Selector
from fsmchat._run.result import ChatResult
from fsmchat.cli._common import print_decision, print_message
from fsmchat.cli._run_options import ChatOptions, ModelOptions

__all__ = ["Ports", "Shown"]


class Shown:
    """Prints each message (and decision, with ``--trace``) and keeps them for a partial ``--json``."""

    def __init__(self, *, trace: bool) -> None:
        self.trace = trace
        self.messages: list[Message] = []
        self.decisions: list[Decision] = []

    def message(self, m: Message) -> None:
        """Print and keep one message (the chat's ``on_message``)."""
        self.messages.append(m)
        print_message(m)

    def decision(self, d: Decision) -> None:
        """Keep one decision, printed with ``--trace`` (the chat's ``on_decision``)."""
        self.decisions.append(d)
        if self.trace:
            print_decision(d)

    def partial(self, spec: Spec, exc: FsmchatError) -> dict[str, Any]:
        """The transcript of a chat that failed with ``exc``, as ``--json`` writes it."""
        return ChatResult(
            spec_name=spec.name,
            messages=tuple(self.messages),
            trace=tuple(self.decisions),
            finished=Finished(
                reason="error", round=len(self.messages), detail=str(exc)
            ),
        ).to_dict()


@attrs.frozen(eq=False, repr=False)
class Ports:
    """The selector, model responder and human of a chat run here (``chat_model`` to close)."""

    selector: Selector | None
    llm: Responder | None
    human: Human
    chat_model: Any = None

    @classmethod
    def make(
        cls, spec: Spec, chat: ChatOptions, model: ModelOptions, human: Human
    ) -> Ports:
        """The ports ``--select`` and ``--config`` ask for.

        Raises:
            click.UsageError: a selection policy or model that cannot be made.
        """
        selector: Selector | None = None
        if chat.select != "guards":
            from fsmchat._run.selectors import make_selector

            try:
                selector = make_selector(
                    chat.select, order=spec.names, seed=chat.seed, human=human
                )
            except InvalidArgument as exc:
                raise click.UsageError(str(exc)) from None
        if model.name is not None and model.config is None:
            msg = "--model NAME needs --config OAI_CONFIG_LIST"
            raise click.UsageError(msg)
        if model.config is None:
            return cls(selector=selector, llm=None, human=human)
        chat_model = _chat_model(spec, model.config, model)
        from fsmchat._run.llm import LLMResponder, LLMSelector

        if selector is None:
            selector = LLMSelector(chat_model)
        return cls(
            selector=selector,
            llm=LLMResponder(chat_model),
            human=human,
            chat_model=chat_model,
        )

    def close(self) -> None:
        """Close the model's connections, if there is a model."""
        if self.chat_model is not None:
            self.chat_model.close()


def _chat_model(spec: Spec, config: str, model: ModelOptions) -> Any:
    """Build the chat model of ``run --config``.

    Raises:
        click.UsageError: a config list or ``--model`` that does not fit (exit 2).
        click.ClickException: a package the model needs is missing (exit 1).
    """
    from fsmchat.adapters._config import (
        config_list_from_json,
        filter_config,
        make_chat_model,
    )

    try:
        config_list = config_list_from_json(config)
    except InvalidArgument as exc:
        msg = f"--config {config}: {exc}"
        raise click.UsageError(msg) from None
    models = [str(c.get("model")) for c in config_list]
    wanted = model.name or spec.llm.get("model")
    if isinstance(wanted, str):
        chosen = filter_config(config_list, {"model": [wanted]})
        if not chosen and model.name is not None:
            import difflib

            close = difflib.get_close_matches(model.name, models, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = (
                f"--model {model.name}: no config for that model in {config} "
                f"(models there: {', '.join(models)}){hint}"
            )
            raise click.UsageError(msg)
        config_list = chosen or config_list
    llm_config: dict[str, Any] = {"config_list": config_list}
    for key in ("temperature", "timeout", "cache_seed"):
        if key in spec.llm:
            llm_config[key] = spec.llm[key]
    if model.cache_seed is not None:
        llm_config["cache_seed"] = model.cache_seed
    if model.no_cache:
        llm_config["cache_seed"] = None
    directory = model.cache_dir or os.environ.get("FSMCHAT_CACHE_DIR") or None
    try:
        return make_chat_model(llm_config, cache_dir=directory)
    except InvalidArgument as exc:
        msg = f"--config {config}: {exc}"
        raise click.UsageError(msg) from None
    except FsmchatError as exc:  # a missing package: said before the chat starts
        raise click.ClickException(str(exc)) from None
