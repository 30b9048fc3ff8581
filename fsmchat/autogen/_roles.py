"""The ready-made roles: ``AssistantAgent``, ``UserProxyAgent`` and fsmchat's ``FunctionAgent``.

They are :class:`~fsmchat.autogen.ConversableAgent` with AutoGen 0.2's defaults:
an assistant replies with its model (``human_input_mode="NEVER"``, no code
execution) and may be built without one (``llm_config=False``), replying then
through its other reply functions or ``default_auto_reply``; a user proxy
stands in for a person (``"ALWAYS"``, no model, runs the code it receives).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from fsmchat.autogen._agent import ConversableAgent
from fsmchat.autogen._session import stop_chat

__all__ = ["AssistantAgent", "FunctionAgent", "UserProxyAgent"]


class AssistantAgent(ConversableAgent):
    """An agent that replies with a model and writes code for others to run."""

    DEFAULT_SYSTEM_MESSAGE = (
        "You are a careful assistant who solves tasks step by step and uses code "
        "when computing is more reliable than reasoning.\n"
        "When you want code run, send one complete program in a fenced block "
        "tagged python or sh. Someone else runs it exactly as written and tells "
        "you its exit code and everything it printed, so print the results you "
        "need, and do not ask them to edit or fill in anything.\n"
        "If the run fails, read the error, fix the program and send the whole "
        "corrected block again. If the approach itself is wrong, say so and try "
        "another one.\n"
        "Check a result before you rely on it. When the task is done, state the "
        "answer clearly and end your message with the word TERMINATE."
    )
    DEFAULT_DESCRIPTION = "An AI assistant that reasons about tasks and writes Python or shell code to solve them."

    def __init__(
        self,
        name: str,
        system_message: str | None = DEFAULT_SYSTEM_MESSAGE,
        llm_config: Mapping[str, Any] | Literal[False] | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        max_consecutive_auto_reply: int | None = None,
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "NEVER",
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        if system_message == self.DEFAULT_SYSTEM_MESSAGE and description is None:
            description = self.DEFAULT_DESCRIPTION
        super().__init__(
            name,
            system_message,
            is_termination_msg,
            max_consecutive_auto_reply,
            human_input_mode,
            llm_config=llm_config,
            description=description,
            **kwargs,
        )


class UserProxyAgent(ConversableAgent):
    """A person's stand-in: asks the human, runs the code and tools it receives.

    Code runs in fsmchat's sandbox, in a fresh directory per reply, unless
    ``code_execution_config`` says otherwise (``use_docker``, ``work_dir``...).
    """

    DEFAULT_USER_PROXY_AGENT_DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "ALWAYS": "An attentive HUMAN user who can answer questions about the task, and can perform tasks such as running Python code or inputting command line commands at a Linux terminal and reporting back the execution results.",
        "TERMINATE": "A user that can run Python code or input command line commands at a Linux terminal and report back the execution results.",
        "NEVER": "A computer terminal that performs no other action than running Python scripts (provided to it quoted in ```python code blocks), or sh shell scripts (provided to it quoted in ```sh code blocks).",
    }

    def __init__(
        self,
        name: str,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        max_consecutive_auto_reply: int | None = None,
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "ALWAYS",
        function_map: Mapping[str, Callable[..., Any]] | None = None,
        code_execution_config: Mapping[str, Any] | Literal[False] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        llm_config: Mapping[str, Any] | Literal[False] | None = False,
        system_message: str | None = "",
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        if description is None:
            description = self.DEFAULT_USER_PROXY_AGENT_DESCRIPTIONS.get(
                str(human_input_mode), ""
            )
        super().__init__(
            name,
            system_message,
            is_termination_msg,
            max_consecutive_auto_reply,
            human_input_mode,
            function_map,
            {} if code_execution_config is None else code_execution_config,
            llm_config,
            default_auto_reply,
            description,
            **kwargs,
        )


class FunctionAgent(ConversableAgent):
    """An agent whose replies come from a Python callable (fsmchat's).

    ``reply(messages, sender)`` gets the conversation with ``sender`` and
    returns the reply (text or dict), or ``None`` to end the chat. It is tried
    after the termination check, so ``is_termination_msg`` and
    ``max_consecutive_auto_reply`` still apply.
    """

    def __init__(
        self,
        name: str,
        reply: Callable[[list[dict[str, Any]], Any], str | dict[str, Any] | None],
        *,
        description: str = "",
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "NEVER",
        max_consecutive_auto_reply: int | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            name,
            "",
            is_termination_msg,
            max_consecutive_auto_reply,
            human_input_mode,
            llm_config=False,
            description=description or (reply.__doc__ or "").strip(),
            **kwargs,
        )
        self.reply_function = reply

        def call(
            recipient: Any, messages: list[dict[str, Any]], sender: Any, config: Any
        ) -> tuple[bool, Any]:
            out = reply(messages, sender)
            if out is None:
                stop_chat(f"{recipient.name}'s function returned None")
            return True, out

        # after the human/termination check, before tools, code and the model
        self.register_reply([ConversableAgent, None], call, position=2)
