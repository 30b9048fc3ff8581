"""The JSON values a workflow history keeps for model calls."""

from __future__ import annotations

from fsmchat import ChatRequest, ChatResponse
from fsmchat.temporal._data import (
    request_from_data,
    request_to_data,
    response_from_data,
    response_to_data,
)


def test_legacy_functions_and_function_call_survive_the_history() -> None:
    """A request's ``functions`` and a response's ``function_call`` round-trip as data."""
    request = ChatRequest(
        messages=[{"role": "user", "content": "u"}], functions=[{"name": "f"}]
    )
    response = ChatResponse(
        content=None, function_call={"name": "f", "arguments": "{}"}
    )
    assert request_from_data(request_to_data(request)) == request
    assert response_from_data(response_to_data(response)) == response
