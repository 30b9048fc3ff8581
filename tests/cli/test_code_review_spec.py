"""specs/code_review.yaml end to end: LLM agents and people, over a loopback endpoint.

The fake model writes a patch, the reviewer first asks for a test and then
approves; the reviewer's "changes" branch is judged by the model, the approval
is decided by the spec's regex guard without a model call.
"""

from __future__ import annotations

import json
from typing import Any

import fsmchat
from fsmchat.testing import FakeOpenAIServer, ScriptedHuman, completion, json_completion
from tests.helpers import SPECS


class Model:
    """A fake model: replies as the agent its system message describes, judges conditions."""

    def __init__(self) -> None:
        self.reviews = 0
        self.judged: list[str] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        fmt = body.get("response_format") or {}
        if fmt.get("json_schema", {}).get("name") == "condition_verdicts":
            prompt = body["messages"][-1]["content"]
            self.judged.append(prompt)
            asked_changes = "add a test" in prompt.lower()
            return json_completion(
                {"reason": "read the review", "condition_1": asked_changes}
            )
        system = body["messages"][0]["content"]
        if system.startswith("You review"):
            self.reviews += 1
            if self.reviews == 1:
                return completion("Please add a test for the new flag.")
            return completion("APPROVED: the flag is tested.")
        return completion("--- a/cli.py\n+++ b/cli.py\n+VERBOSE = True")


def test_code_review_runs_with_llm_agents_and_people() -> None:
    """The chat follows the spec: changes requested (judged), then approval (guard), then merge."""
    spec = fsmchat.load_spec(SPECS / "code_review.yaml")
    model_server = Model()
    with FakeOpenAIServer(model_server) as server:
        config = [{"model": "m", "api_key": "sk-test", "base_url": server.base_url}]
        model = fsmchat.make_chat_model({"config_list": config, "cache_seed": None})
        try:
            result = fsmchat.run_chat(
                spec,
                selector=fsmchat.LLMSelector(model),
                llm=fsmchat.LLMResponder(model),
                human=ScriptedHuman(["Add a --verbose flag.", "Merged, thanks."]),
            )
        finally:
            model.close()
    speakers = [m.name for m in result.messages]
    assert speakers == [
        "Requester",
        "Author",
        "Reviewer",
        "Author",
        "Reviewer",
        "Maintainer",
    ]
    assert result.finished.reason == "end agent"
    reasons = [d.reason for d in result.trace]
    assert reasons == [
        "only successor",
        "only successor",
        "judged",
        "only successor",
        "guard",
    ]
    # One judge call (the first review); the approval needed no model call.
    assert len(model_server.judged) == 1
    assert result.routing_usage.calls == 1
    # The reviewer saw the author's patch under the author's name.
    review_request = next(
        r
        for r in server.requests
        if r["messages"][0]["content"].startswith("You review")
    )
    assert {"role": "user", "name": "Author"}.items() <= review_request["messages"][
        -1
    ].items()
    assert json.dumps(result.to_dict())  # the transcript is JSON-ready
