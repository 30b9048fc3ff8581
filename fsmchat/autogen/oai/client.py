"""AutoGen's ``autogen.oai.client``: :class:`OpenAIWrapper`, one model call at a time.

``OpenAIWrapper(config_list=[...], cache_seed=...).create(messages=[...])``
asks the config list's endpoints in order through fsmchat's OpenAI adapter
(with its response cache unless ``cache_seed`` is ``None``) and returns a
completion shaped like the OpenAI SDK's: ``response.choices[0].message.content``,
``.tool_calls``, ``.usage``, ``.model``, ``.cost``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Protocol

from fsmchat._run.ports import ChatRequest, ChatResponse
from fsmchat.adapters._config import make_chat_model

__all__ = ["TOOL_ENABLED", "ModelClient", "OpenAIWrapper"]

#: AutoGen's flag "the client can send tools" (fsmchat's adapters always can).
TOOL_ENABLED = True

_REQUEST_KEYS = ("messages", "tools", "response_format", "temperature", "model")


class ModelClient(Protocol):
    """AutoGen's protocol for a custom model client."""

    RESPONSE_USAGE_KEYS: Sequence[str]

    def create(self, params: dict[str, Any]) -> Any:
        """Answer one request."""
        ...  # pragma: no cover

    def message_retrieval(self, response: Any) -> list[Any]:
        """The texts or messages of a response."""
        ...  # pragma: no cover

    def cost(self, response: Any) -> float:
        """What the response cost."""
        ...  # pragma: no cover


def _completion(response: ChatResponse) -> SimpleNamespace:
    tool_calls = [
        SimpleNamespace(
            id=c.get("id"),
            type=c.get("type", "function"),
            function=SimpleNamespace(**c.get("function", {})),
        )
        for c in response.tool_calls
    ]
    message = SimpleNamespace(
        role="assistant",
        content=response.content,
        tool_calls=tool_calls or None,
        function_call=None,
    )
    usage = response.usage
    return SimpleNamespace(
        choices=[
            SimpleNamespace(
                index=0,
                message=message,
                finish_reason="tool_calls" if tool_calls else "stop",
            )
        ],
        model=response.model,
        usage=SimpleNamespace(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.prompt_tokens + usage.completion_tokens,
        ),
        cost=0.0,
        config_id=0,
        pass_filter=True,
    )


class OpenAIWrapper:
    """Calls the endpoints of a config list (AutoGen's ``OpenAIWrapper``).

    Args:
        config_list: the endpoints, tried in order.
        base_config: the other ``llm_config`` keys (``cache_seed``, ``timeout``...).
    """

    def __init__(
        self,
        *,
        config_list: Sequence[Mapping[str, Any]] | None = None,
        **base_config: Any,
    ) -> None:
        llm_config = dict(base_config)
        if config_list is not None:
            llm_config["config_list"] = list(config_list)
        self._model: Any = make_chat_model(llm_config)
        self.total_usage_summary: dict[str, Any] | None = None
        self.actual_usage_summary: dict[str, Any] | None = None

    def create(self, **config: Any) -> SimpleNamespace:
        """Ask the model; ``messages`` (or ``prompt``) is the request.

        Returns:
            An OpenAI-style chat completion.
        """
        if "messages" not in config and "prompt" in config:
            config["messages"] = [{"role": "user", "content": config.pop("prompt")}]
        request = ChatRequest(
            **{k: config[k] for k in _REQUEST_KEYS if config.get(k) is not None}
        )
        response = self._model.complete(request)
        self._count(response)
        return _completion(response)

    def _count(self, response: ChatResponse) -> None:
        summary = self.total_usage_summary or {"total_cost": 0.0}
        entry = summary.setdefault(
            response.model,
            {
                "cost": 0.0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "total_tokens": 0,
            },
        )
        entry["prompt_tokens"] += response.usage.prompt_tokens
        entry["completion_tokens"] += response.usage.completion_tokens
        entry["total_tokens"] += (
            response.usage.prompt_tokens + response.usage.completion_tokens
        )
        self.total_usage_summary = summary
        if not response.cached:
            self.actual_usage_summary = summary

    @staticmethod
    def extract_text_or_completion_object(response: Any) -> list[Any]:
        """The text of each choice, or the message itself when it calls tools."""
        out: list[Any] = []
        for choice in response.choices:
            message = choice.message
            if message.tool_calls:
                out.append(message)
            else:
                out.append(message.content)
        return out

    def clear_usage_summary(self) -> None:
        """Forget the usage counted so far."""
        self.total_usage_summary = None
        self.actual_usage_summary = None

    def print_usage_summary(self) -> None:
        """Print the tokens used per model."""
        summary = self.total_usage_summary
        sys.stdout.write(
            f"{summary}\n"
            if summary
            else 'No usage summary. Please call "create" first.\n'
        )

    def close(self) -> None:
        """Close the HTTP clients."""
        close = getattr(self._model, "close", None)
        if close is not None:
            close()
