"""Tools and functions: what a model may call, and the agent that runs the calls.

:class:`ToolMixin` is the part of :class:`~fsmchat.autogen.ConversableAgent`
that AutoGen 0.2 gives to function and tool calls:

* the caller's side: ``register_for_llm`` (a decorator; ``api_style="tool"``
  or ``"function"``) and ``update_tool_signature`` / ``update_function_signature``
  keep ``llm_config["tools"]`` / ``["functions"]`` up to date, and the model is
  sent those definitions;
* the executor's side: ``register_for_execution`` and ``register_function``
  fill ``function_map``; ``generate_tool_calls_reply`` answers a message's
  ``tool_calls`` with one ``role: tool`` message, ``generate_function_call_reply``
  answers a legacy ``function_call`` with a ``role: function`` message, both
  through ``execute_function`` (``a_``-forms await async functions). An unknown
  function, arguments that are not JSON or an exception become AutoGen's
  ``Error: ...`` result for the model, never a crash.

:func:`register_function` does both sides at once.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import re
import types
import typing
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from fsmchat._run.twins import IS_ASYNC, Call, Steps, call, twins
from fsmchat.autogen._session import notice
from fsmchat.autogen._utils import short_repr

__all__ = ["ToolMixin", "get_function_schema", "register_function"]

_log = logging.getLogger("fsmchat.autogen")
_VALID_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
_API_STYLES = ("tool", "function")
#: name and description given by register_for_llm, read by register_for_execution
_REGISTERED: weakref.WeakKeyDictionary[Callable[..., Any], tuple[str, str | None]] = (
    weakref.WeakKeyDictionary()
)


def _assert_valid_name(name: str) -> str:
    """AutoGen's rule for function names.

    Raises:
        ValueError: other characters than letters, digits, ``_`` and ``-``, or
            longer than 64 characters.
    """
    if not isinstance(name, str) or not _VALID_NAME.match(name):
        msg = f"Invalid name: {name}. Only letters, numbers, '_' and '-' are allowed."
        raise ValueError(msg)
    if len(name) > 64:
        msg = f"Invalid name: {name}. Name must be less than 64 characters."
        raise ValueError(msg)
    return name


def _serialize(result: Any) -> str:
    if isinstance(result, str):
        return result
    dump = getattr(result, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    try:
        return json.dumps(result, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(result)


def _wrap(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its arguments validated and its result serialised to text.

    AutoGen's ``_wrap_function``: an argument annotated with a pydantic model
    arrives as that model (validated from the model's JSON object), the result
    is text (a string as is, a pydantic model as its JSON, else ``json.dumps``),
    and the wrapper keeps ``func`` as ``_origin``.
    """
    models = _model_params(func)
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def awrapped(*args: Any, **kwargs: Any) -> str:
            return _serialize(await func(*args, **_validated(models, kwargs)))

        wrapped: Callable[..., Any] = awrapped
    else:

        @functools.wraps(func)
        def swrapped(*args: Any, **kwargs: Any) -> str:
            return _serialize(func(*args, **_validated(models, kwargs)))

        wrapped = swrapped
    wrapped._origin = func  # type: ignore[attr-defined]  # AutoGen's attribute
    return wrapped


def _model_params(func: Callable[..., Any]) -> dict[str, Any]:
    """The parameters of ``func`` annotated with a pydantic model, and their models."""
    try:
        hints = typing.get_type_hints(func)
    except (NameError, TypeError):
        return {}
    return {
        name: hint
        for name, hint in hints.items()
        if name != "return" and callable(getattr(hint, "model_validate", None))
    }


def _validated(models: Mapping[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    for name, model in models.items():
        if isinstance(kwargs.get(name), Mapping):
            kwargs[name] = model.model_validate(kwargs[name])
    return kwargs


class ToolMixin:
    """Function/tool registration and execution (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ConversableAgent

        @property
        def name(self) -> str: ...

    llm_config: Mapping[str, Any] | Literal[False]
    output: Callable[[str], object]
    _function_map: dict[str, Callable[..., Any]]

    @property
    def function_map(self) -> dict[str, Callable[..., Any]]:
        """The functions this agent executes, by name."""
        return self._function_map

    def can_execute_function(self, name: list[str] | str) -> bool:
        """True when this agent has every function of ``name``."""
        names = name if isinstance(name, list) else [name]
        return all(n in self._function_map for n in names)

    def register_function(
        self, function_map: Mapping[str, Callable[..., Any] | None]
    ) -> None:
        """Add (or, with ``None``, remove) functions this agent executes.

        Raises:
            ValueError: an invalid function name.
        """
        for name, func in function_map.items():
            _assert_valid_name(name)
            if func is None and name not in self._function_map:
                _log.warning("The function %s to remove doesn't exist", name)
            elif func is not None and name in self._function_map:
                warnings.warn(
                    f"Function '{name}' is being overridden.", UserWarning, stacklevel=2
                )
            if func is None:
                self._function_map.pop(name, None)
            else:
                self._function_map[name] = func

    def _wrap_function(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` as ``function_map`` keeps it (see :func:`_wrap`)."""
        return _wrap(func)

    def _llm_dict(self, what: str) -> dict[str, Any]:
        if not isinstance(self.llm_config, Mapping):
            msg = f"To update a {what} signature, agent must have an llm_config"
            raise AssertionError(msg)
        return dict(self.llm_config)

    def update_function_signature(
        self, func_sig: str | dict[str, Any], is_remove: bool | None
    ) -> None:
        """Add a legacy function definition to ``llm_config["functions"]`` (or remove one by name).

        Raises:
            AssertionError: the agent has no ``llm_config``, or removes a missing one.
            ValueError: ``func_sig`` is not a dict or has an invalid name.
        """
        self._update_signature("function", func_sig, is_remove)

    def update_tool_signature(
        self, tool_sig: str | dict[str, Any], is_remove: bool | None
    ) -> None:
        """Add a tool definition to ``llm_config["tools"]`` (or remove one by name).

        Raises:
            AssertionError: the agent has no ``llm_config``, or removes a missing one.
            ValueError: ``tool_sig`` is not a dict or has an invalid name.
        """
        self._update_signature("tool", tool_sig, is_remove)

    def _update_signature(
        self, what: str, sig: str | dict[str, Any], is_remove: bool | None
    ) -> None:
        """Add ``sig`` to ``llm_config[what + "s"]`` (replacing one of its name), or remove by name."""
        key = f"{what}s"

        def name_of(entry: Mapping[str, Any]) -> Any:
            # a legacy function is named at the top; a tool inside "function"
            return (
                entry.get("name")
                if what == "function"
                else entry.get("function", {}).get("name")
            )

        config = self._llm_dict(what)
        items = list(config.get(key) or [])
        if is_remove:
            if key not in config:
                msg = f"The agent config doesn't have {what} {sig}."
                raise AssertionError(msg)
            items = [x for x in items if name_of(x) != sig]
        else:
            if not isinstance(sig, dict):
                msg = f"The {what} signature must be of the type dict. Received {what} signature type {type(sig)}"
                raise ValueError(msg)
            # AutoGen reads a legacy function's name by key (KeyError when missing)
            name = sig["name"] if what == "function" else name_of(sig)
            _assert_valid_name(name)
            if any(name_of(x) == name for x in items):
                warnings.warn(
                    f"Function '{name}' is being overridden.", UserWarning, stacklevel=3
                )
            items = [x for x in items if name_of(x) != name] + [sig]
        self._set_llm_list(config, key, items)

    def _set_llm_list(self, config: dict[str, Any], key: str, items: list[Any]) -> None:
        if items:
            config[key] = items
        else:
            config.pop(key, None)
        self.llm_config = config

    def register_for_llm(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        api_style: Literal["function", "tool"] = "tool",
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: offer a function to this agent's model (``llm_config["tools"]``).

        The parameters' JSON schema comes from their type hints
        (``Annotated[T, "text"]`` adds a description).

        Raises:
            ValueError: no description, an unsupported ``api_style`` or an invalid name.
            AssertionError: the agent has no ``llm_config``.
            TypeError: a parameter without a default has no type hint.
        """

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            known = _REGISTERED.get(func)
            fname = name or (known[0] if known else func.__name__)
            desc = description or (known[1] if known else None)
            if not desc:
                msg = "Function description is required, none found."
                raise ValueError(msg)
            if api_style not in _API_STYLES:
                msg = f"Unsupported API style: {api_style}"
                raise ValueError(msg)
            _REGISTERED[func] = (fname, desc)
            schema = get_function_schema(func, name=fname, description=desc)
            if api_style == "function":
                self.update_function_signature(schema["function"], is_remove=False)
            else:
                self.update_tool_signature(schema, is_remove=False)
            return func

        return decorate

    def register_for_execution(
        self, name: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: this agent runs the function when a model calls it."""

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            known = _REGISTERED.get(func)
            fname = name or (known[0] if known else func.__name__)
            _REGISTERED[func] = (fname, known[1] if known else None)
            self.register_function({fname: self._wrap_function(func)})
            return func

        return decorate

    # -- running calls -------------------------------------------------------

    @staticmethod
    def _format_json_str(jstr: str) -> str:
        """``jstr`` made loadable as AutoGen does: newlines outside strings dropped,
        newlines and tabs inside strings escaped."""
        out: list[str] = []
        in_string = False
        previous = " "
        for char in jstr:
            if char == '"' and previous != "\\":
                in_string = not in_string
            previous = char
            if char == "\n":
                if in_string:
                    out.append("\\n")
                continue
            out.append("\\t" if in_string and char == "\t" else char)
        return "".join(out)

    def _arguments(
        self, func_call: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, str]:
        raw = func_call.get("arguments", "{}")
        if isinstance(raw, Mapping):
            return dict(raw), ""
        try:
            arguments = json.loads(self._format_json_str(raw or "{}"))
        except (json.JSONDecodeError, TypeError) as exc:
            return None, f"Error: {exc}\n The argument must be in JSON format."
        if not isinstance(arguments, dict):
            return (
                None,
                f"Error: the arguments must be a JSON object, got {short_repr(arguments)}\n The argument must be in JSON format.",
            )
        return arguments, ""

    def _executing(self, name: str, is_async: bool) -> None:
        kind = "ASYNC FUNCTION" if is_async else "FUNCTION"
        notice(self.output, f"\n>>>>>>>> EXECUTING {kind} {name}...")

    def _execute_function(
        self, func_call: Mapping[str, Any], verbose: bool = False
    ) -> Steps[tuple[bool, dict[str, Any]]]:
        """Run a function call ``{"name", "arguments"}``; return ``(success, role-function message)``.

        ``a_execute_function`` awaits an async function (and says ``EXECUTING
        ASYNC FUNCTION``, as AutoGen does); ``execute_function`` runs it to
        the end in a new event loop.
        """
        is_async = yield IS_ASYNC
        name = func_call.get("name", "")
        func = self._function_map.get(name)
        ok = False
        content: Any
        arguments = None
        if func is None:
            content = f"Error: Function {name} not found."
        else:
            arguments, content = self._arguments(func_call)
            if arguments is not None:
                self._executing(name, is_async)
                try:
                    content = yield Call(_blocking(func), func, kwargs=arguments)
                    ok = True
                except Exception as exc:  # the model gets the error, as in AutoGen
                    content = f"Error: {exc}"
        if verbose:
            self.output(f"\nInput arguments: {arguments}\nOutput:\n{content}")
        return ok, {"name": name, "role": "function", "content": str(content)}

    execute_function, a_execute_function = twins(_execute_function)

    def _generate_function_call_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        config: Any = None,
    ) -> Steps[tuple[bool, dict[str, Any] | None]]:
        """Answer a legacy ``function_call`` in the last message with a ``role: function`` message.

        The async form awaits an async function (``a_execute_function``).
        """
        message = _last(self, messages, sender)
        func_call = message.get("function_call")
        if not func_call:
            return False, None
        func = self._function_map.get(func_call.get("name", ""))
        if (yield IS_ASYNC) and inspect.iscoroutinefunction(func):
            _, result = yield call(self, "execute_function", func_call)
        else:
            _, result = self.execute_function(func_call)
        return True, result

    generate_function_call_reply, a_generate_function_call_reply = twins(
        _generate_function_call_reply
    )

    def _generate_tool_calls_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        config: Any = None,
    ) -> Steps[tuple[bool, dict[str, Any] | None]]:
        """Answer the ``tool_calls`` of the last message with one ``role: tool`` message.

        Its ``tool_responses`` hold one answer per call, in order; its content
        joins them with blank lines. The async form runs the calls concurrently.
        """
        message = _last(self, messages, sender)
        calls = list(message.get("tool_calls") or ())
        results = yield Call(self._run_tool_calls, self._a_run_tool_calls, (calls,))
        return _tool_reply(
            [_tool_return(c, r[1]) for c, r in zip(calls, results, strict=True)]
        )

    generate_tool_calls_reply, a_generate_tool_calls_reply = twins(
        _generate_tool_calls_reply
    )

    def _run_tool_calls(
        self, calls: list[dict[str, Any]]
    ) -> list[tuple[bool, dict[str, Any]]]:
        """One after the other; an async function through ``a_execute_function`` (AutoGen's)."""
        out = []
        for c in calls:
            function = c.get("function", {})
            func = self._function_map.get(function.get("name", ""))
            if inspect.iscoroutinefunction(func):
                out.append(_run_awaitable(self.a_execute_function(function)))
            else:
                out.append(self.execute_function(function))
        return out

    async def _a_run_tool_calls(
        self, calls: list[dict[str, Any]]
    ) -> list[tuple[bool, dict[str, Any]]]:
        """All at once, each through ``a_execute_function``."""
        return list(
            await asyncio.gather(
                *(self.a_execute_function(c.get("function", {})) for c in calls)
            )
        )


def _last(
    agent: Any, messages: list[dict[str, Any]] | None, sender: Any
) -> dict[str, Any]:
    if messages is None:
        messages = agent.chat_messages.get(sender, [])
    return messages[-1] if messages else {}


def _tool_return(call: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    content = result.get("content", "")
    out: dict[str, Any] = {
        "role": "tool",
        "content": "" if content is None else content,
    }
    if call.get("id") is not None:
        out = {"tool_call_id": call["id"], **out}
    return out


def _tool_reply(returns: list[dict[str, Any]]) -> tuple[bool, dict[str, Any] | None]:
    if not returns:
        return False, None
    return True, {
        "role": "tool",
        "tool_responses": returns,
        "content": "\n\n".join(str(r["content"]) for r in returns),
    }


def _blocking(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, its awaitable result (an async function's) run to the end."""

    def run(*args: Any, **kwargs: Any) -> Any:
        out = func(*args, **kwargs)
        return _run_awaitable(out) if inspect.isawaitable(out) else out

    return run


def _run_awaitable(awaitable: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:

        async def wait() -> Any:
            return await awaitable

        return asyncio.run(wait())
    awaitable.close()
    msg = "an async function cannot run inside a running event loop from a sync chat: use a_initiate_chat"
    raise RuntimeError(msg)


def register_function(
    f: Callable[..., Any],
    *,
    caller: Any,
    executor: Any,
    name: str | None = None,
    description: str,
) -> None:
    """Offer ``f`` to ``caller``'s model and let ``executor`` run it (AutoGen's function)."""
    f = caller.register_for_llm(name=name, description=description)(f)
    executor.register_for_execution(name=name)(f)


# --------------------------------------------------------------------------
# JSON schemas of functions


def get_function_schema(
    func: Callable[..., Any], *, name: str | None = None, description: str
) -> dict[str, Any]:
    """The OpenAI tool definition of ``func`` (AutoGen's ``get_function_schema``).

    Raises:
        TypeError: a parameter without a default has no type hint, or a hint
            has no JSON schema here.
    """
    fname = name or func.__name__
    hints = typing.get_type_hints(func, include_extras=True)
    properties: dict[str, Any] = {}
    required: list[str] = []
    missing: list[str] = []
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if pname not in hints:
            if param.default is param.empty:
                missing.append(pname)
            continue
        properties[pname] = _json_schema(
            hints[pname], f"function {fname!r}, parameter {pname!r}"
        )
        if param.default is param.empty:
            required.append(pname)
        elif param.default is None or isinstance(
            param.default, str | int | float | bool
        ):
            properties[pname]["default"] = param.default
    if missing:
        msg = (
            f"All parameters of the function '{fname}' without default values must be annotated. "
            f"The annotations are missing for the following parameters: {', '.join(missing)}"
        )
        raise TypeError(msg)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return {
        "type": "function",
        "function": {
            "description": description,
            "name": fname,
            "parameters": parameters,
        },
    }


_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _json_schema(hint: Any, where: str) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        inner = _json_schema(args[0], where)
        texts = [a for a in args[1:] if isinstance(a, str)]
        if texts:
            inner["description"] = texts[0]
        return inner
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _json_schema(rest[0], where)
        return {"anyOf": [_json_schema(a, where) for a in rest]}
    if origin is Literal:
        return {"enum": list(args)}
    if hint is list or origin in (list, tuple, Sequence):
        out: dict[str, Any] = {"type": "array"}
        if args and args[0] is not Ellipsis:
            out["items"] = _json_schema(args[0], where)
        return out
    if hint is dict or origin in (dict, Mapping):
        return {"type": "object"}
    if hint is Any:
        return {}
    schema = getattr(hint, "model_json_schema", None)
    if callable(schema):
        out = dict(schema())
        return out
    msg = f"{where}: unsupported type {hint!r} (use str, int, float, bool, list, dict, Literal, Annotated or a pydantic model)"
    raise TypeError(msg)
