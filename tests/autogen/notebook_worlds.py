"""Each ported AutoGen notebook's model script and typed input (see ``notebook_runner``).

The replies are keyed on what the notebook's agents are (their system
messages) and what was said, never on fsmchat's or AutoGen's own prompts, so
both runs of a notebook meet the same model. Human input is scripted on stdin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.autogen.notebook_model import (
    Notebook,
    Reply,
    call,
    names,
    said,
    text_of,
    turns,
    world,
)


def _code(line: str) -> str:
    return f"```python\n{line}\n```"


# -- notebook/agentchat_groupchat.ipynb ------------------------------------------
def _groupchat(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if system.startswith("Creative in software"):  # the Product_manager
        return "Applications: code review bots and test generation. NEXT: Coder"
    if "Applications:" in said(
        messages
    ):  # the Coder (AssistantAgent's own system message)
        return "TERMINATE"
    return (
        "I will look it up.\n"
        + _code("print('Sparks of AGI: early experiments with GPT-4')")
        + "\nNEXT: User_proxy"
    )


# -- notebook/agentchat_groupchat_finite_state_machine.ipynb ---------------------
def _fsm(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    name = re.match(r"Your name is (\w+)", system)
    if name is None:
        return "TERMINATE"
    me, text = name.group(1), said(messages)
    count = int(re.search(r"You have (\d+) chocolates", system).group(1))  # type: ignore[union-attr]
    team, lead = me[0], me[1] == "0"
    members = [f"{team}{i}" for i in range(3)]
    if not lead:
        nxt = members[(int(me[1]) + 1) % 3]
        return f"{me} has {count} chocolates. NEXT: {nxt}"
    if f"{me[0]}2 has" not in text:
        return f"{me} has {count} chocolates. NEXT: {team}1"
    if team == "A":
        return "Team A tally is known. NEXT: B0"
    if team == "B":
        return "Team B tally is known. NEXT: C0"
    return "All three team tallies are known. TERMINATE"


# -- notebook/agentchat_groupchat_stateflow.ipynb --------------------------------
def _stateflow(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if system.startswith("You are the Coder"):
        return _code("print('LLM applications: Paper 1 (medicine), Paper 2 (law)')")
    return "| Domain | Title |\n|---|---|\n| Medicine | Paper 1 |\n| Law | Paper 2 |"


# -- notebook/agentchat_groupchat_customized.ipynb -------------------------------
def _customized(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if system.startswith("Planner."):
        return (
            "Plan: the engineer finds the paper, the scientist lists its applications."
        )
    if system.startswith("Engineer."):
        return _code("print('GPT-4 Technical Report')")
    return "Applications: software testing and documentation."


# -- notebook/agentchat_nestedchat.ipynb -----------------------------------------
def _nested(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if "professional writer" in system:
        return f"Navida blogpost, draft {turns(messages) + 1}."
    if "check_harmful_content" in names(tools):
        if messages[-1].get("role") == "tool":
            return "The post is safe to publish."
        return {
            "tool_calls": [
                call("call_h1", "check_harmful_content", content="Navida blogpost")
            ]
        }
    return "Critique: add a concrete example."


# -- notebook/agentchats_sequential_chats.ipynb ----------------------------------
def _sequential(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    task = text_of(messages[1]) if len(messages) > 1 else ""
    if "professional writer" in system:
        return "Blogpost: NVDA and TSLA in one month. TERMINATE"
    if "current stock prices" in task:
        return "NVDA is at 120 (+5%), TSLA at 250 (-3%). TERMINATE"
    if "daily stock prices" in task:
        if turns(messages) == 0:
            return _code(
                "open('stock_prices.md', 'w').write('| NVDA | 120 |\\n')\nprint('saved')"
            )
        return "The prices are saved in stock_prices.md. TERMINATE"
    return f"Reason {turns(messages) + 1}: strong earnings."


# -- notebook/agentchat_function_call_currency_calculator.ipynb ------------------
def _currency(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    last = messages[-1]
    if last.get("role") == "tool":
        return f"The result is {text_of(last)}. TERMINATE"
    question = text_of(last)
    amount = float(re.search(r"\d+\.\d+", question).group(0))  # type: ignore[union-attr]
    base, quote = (
        ("USD", "EUR")
        if question.rstrip("?").endswith(("EUR", "Euros"))
        else ("EUR", "USD")
    )
    properties = tools[0]["function"]["parameters"]["properties"] if tools else {}
    if "base" in properties:  # the pydantic-model version of the tool
        arguments: dict[str, Any] = {
            "base": {"currency": base, "amount": amount},
            "quote_currency": quote,
        }
    else:
        arguments = {
            "base_amount": amount,
            "base_currency": base,
            "quote_currency": quote,
        }
    return {"tool_calls": [call("call_c1", "currency_calculator", **arguments)]}


# -- notebook/agentchat_auto_feedback_from_code_execution.ipynb ------------------
def _feedback(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    task = text_of(messages[1])
    last = text_of(messages[-1])
    if "exitcode: 0" in last:
        return "Both gains are printed above. TERMINATE"
    if task.startswith("What date is today?") and "Plot a chart" in last:
        return _code(
            "open('stock_price_ytd.csv', 'w').write('Date,META,TSLA\\n2024-01-02,1.0,1.0\\n')\n"
            "print('saved stock_price_ytd.csv')"
        )
    if task.startswith("What date is today?"):
        return _code("print('META: +38.5%, TESLA: -9.2%')")
    return "META and TESLA took different roads this year. TERMINATE"


# -- notebook/agentchat_human_feedback.ipynb -------------------------------------
def _human(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if turns(messages) == 0:
        return "Adding the three equations gives a + b + c = 7."
    return "Checked again: a + b + c = 7. TERMINATE"


# -- website/docs/topics/groupchat/resuming_groupchat.ipynb ----------------------
def _resuming(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    text = said(messages)
    if system.startswith("Engineer."):
        return _code("print('GPT-4 paper: 2303.08774')") + "\nNEXT: Executor"
    if system.startswith("Scientist."):
        return "Applications: code generation and testing. NEXT: Planner"
    if system.startswith("Planner."):
        return (
            "TERMINATE" if "Applications:" in text else "Plan approved. NEXT: Engineer"
        )
    if "Chief_Marketing_Officer" in system:
        return "I suggest the name EcoLux Aurora. TERMINATE"
    if "Product_Manager" in system:
        return "I suggest the name EcoLux Verde."
    return "Marketing plan ready."


# -- website/docs/tutorial/conversation-patterns.ipynb ---------------------------
def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"-?\d+", text)]


def _patterns(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if system.startswith("You are a student"):
        return "Thank you, that is clear."
    if system.startswith("You are a math teacher"):
        return (
            "The triangle inequality: a side is shorter than the sum of the other two."
        )
    ops: dict[str, Callable[[int], int]] = {
        "You add 1": lambda n: n + 1,
        "You multiply each": lambda n: n * 2,
        "You subtract 1": lambda n: n - 1,
        "You divide each": lambda n: n // 2,
        "You return me": lambda n: n,
    }
    for prefix, op in ops.items():
        if system.startswith(prefix):
            found = _numbers(said(messages))
            return "\n".join(str(op(n)) for n in found[-1:]) or "0"
    if system.startswith("You are a code writer"):
        if turns(messages) == 0:
            return _code("print(3 + 1 == 4)")
        return "The operations are verified."
    if system.startswith("You are an AI poet"):
        return "Three grew to seven, one step at a time."
    return "OK."


# -- website/docs/tutorial/tool-use.ipynb ----------------------------------------
def _tool_use(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    last = messages[-1]
    if last.get("role") == "tool":
        return f"The answer is {text_of(last)}. TERMINATE"
    if "(44232" in text_of(last):
        return {
            "tool_calls": [call("call_t1", "calculator", a=232, b=32, operator="-")]
        }
    return {
        "tool_calls": [
            call("call_t2", "calculator", input={"a": 1423, "b": 123, "operator": "-"})
        ]
    }


# -- website/docs/tutorial/chat-termination.ipynb and introduction.ipynb ---------
def _comedians(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if "Cathy" in system:
        n = turns(messages) + 1
        return f"Joke {n}: why did the chicken cross the road?" + (
            " Good bye!" if "GOOD BYE" in said(messages) and n > 1 else ""
        )
    if "Joe" in system:
        return f"Ha! Tell me another one ({turns(messages) + 1})."
    return "Why did the developer go broke? Because he used up all his cache."


# -- website/docs/tutorial/human-in-the-loop.ipynb -------------------------------
def _guessing(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if "number 53 in your mind" in system:
        guess = _numbers(text_of(messages[-1]))
        if not guess:
            return "Guess a number."
        return "too low" if guess[-1] < 53 else "too high"
    guesses = [50, 75, 53, 60]
    return str(guesses[min(turns(messages), len(guesses) - 1)])


# -- notebook/agentchat_groupchat_research.ipynb ---------------------------------
def _research(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if system.startswith("Planner."):
        return "Plan: the engineer fetches the papers, the scientist sorts them. NEXT: Critic"
    if system.startswith("Critic."):
        return "Add the source URL of each paper. NEXT: Admin"
    if system.startswith("Engineer."):
        return (
            _code("print('LLM paper: https://arxiv.org/abs/2401.00001')")
            + "\nNEXT: Executor"
        )
    return "| Domain | Paper |\n|---|---|\n| NLP | 2401.00001 |\nNEXT: Admin"


def _after_research(last: str, text: str) -> str | None:
    if last == "Admin":
        return "Engineer" if text.strip() == "approve" else "Planner"
    return {"Executor": "Scientist", "Planner": "Admin"}.get(last)


# -- notebook/agentchat_nested_sequential_chats.ipynb ----------------------------
def _nested_sequential(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    text = said(messages)
    if "professional writer" in system:
        return f"Blog post ({turns(messages) + 1}): Microsoft closed above $400 on March 1."
    if "compliance reviewer" in system:
        return "No compliance issues found."
    if "pleasant joke" in text:
        return "Microsoft stock is like a good window: always worth a look. TERMINATE"
    if turns(messages) == 0:
        return _code("print('2024-03-01: 410')")
    return "Microsoft was above $400 on 2024-03-01. TERMINATE"


# -- notebook/agentchat_function_call_async.ipynb --------------------------------
def _async_tools(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    text = said(messages)
    if system.startswith("Respond in markdown"):
        return "| tool | result |\n|---|---|\n| timer | done |\n| stopwatch | done |"
    if "| tool | result |" in text:
        return {
            "tool_calls": [call("call_g1", "terminate_group_chat", message="All done.")]
        }
    if messages[-1].get("role") == "tool" or "Stopwatch is done!" in text_of(
        messages[-1]
    ):
        return "The timer and the stopwatch are done. TERMINATE"
    return {
        "tool_calls": [
            call("call_a1", "timer", num_seconds="1"),
            call("call_a2", "stopwatch", num_seconds="1"),
        ]
    }


def _after_async(last: str, text: str) -> str | None:
    if last == "user_proxy" and "Stopwatch is done!" in text:
        return "Markdown_agent"
    return "chatbot"


# -- website/docs/topics/prompting-and-reasoning/reflection.ipynb ----------------
def _reflection(
    system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Reply:
    if system.startswith("Generate critique"):
        return "Critique: shorter paragraphs and one concrete example."
    return (
        f"AI this month, draft {turns(messages) + 1}: models got smaller and smarter."
    )


NOTEBOOKS: dict[str, Notebook] = {
    "nb_groupchat.py": Notebook(
        "notebook/agentchat_groupchat.ipynb",
        world(
            _groupchat,
            after=lambda last, text: (
                "Product_manager" if text.startswith("exitcode") else "Coder"
            ),
        ),
        stdin="exit\n",
        runs_code=True,
    ),
    "nb_groupchat_fsm.py": Notebook(
        "notebook/agentchat_groupchat_finite_state_machine.ipynb",
        world(_fsm),
        deliberate=("repr",),
    ),
    "nb_groupchat_stateflow.py": Notebook(
        "notebook/agentchat_groupchat_stateflow.ipynb",
        world(_stateflow),
        runs_code=True,
    ),
    "nb_groupchat_customized.py": Notebook(
        "notebook/agentchat_groupchat_customized.ipynb",
        world(_customized),
        stdin="Approve\nexit\n",
        runs_code=True,
    ),
    "nb_nestedchat.py": Notebook("notebook/agentchat_nestedchat.ipynb", world(_nested)),
    "nb_sequential_chats.py": Notebook(
        "notebook/agentchats_sequential_chats.ipynb",
        world(_sequential),
        stdin="exit\n",
        deliberate=("cost",),
        runs_code=True,
    ),
    "nb_currency_calculator.py": Notebook(
        "notebook/agentchat_function_call_currency_calculator.ipynb",
        world(_currency),
    ),
    "nb_code_feedback.py": Notebook(
        "notebook/agentchat_auto_feedback_from_code_execution.ipynb",
        world(
            _feedback, summary=lambda m: "# META and TESLA\nTwo stocks, two stories."
        ),
        deliberate=("cost",),
        runs_code=True,
    ),
    "nb_human_feedback.py": Notebook(
        "notebook/agentchat_human_feedback.ipynb",
        world(_human),
        stdin="Please double check.\nexit\n",
    ),
    "nb_resuming_groupchat.py": Notebook(
        "website/docs/topics/groupchat/resuming_groupchat.ipynb",
        world(
            _resuming,
            after={
                "Planner": "Engineer",
                "Executor": "Scientist",
                "Chairperson": "Chief_Marketing_Officer",
                "Chief_Marketing_Officer": "Product_Manager",
                "Product_Manager": "Chief_Marketing_Officer",
            },
        ),
        stdin="exit\n" * 4,
        runs_code=True,
    ),
    "nb_tutorial_conversation_patterns.py": Notebook(
        "website/docs/tutorial/conversation-patterns.ipynb",
        world(
            _patterns,
            after={
                "Number_Agent": "Adder_Agent",
                "Adder_Agent": "Multiplier_Agent",
                "Multiplier_Agent": "Adder_Agent",
            },
        ),
        stdin="\n\nexit\n",
        deliberate=("cost", "intro"),
        runs_code=True,
    ),
    "nb_tutorial_tool_use.py": Notebook(
        "website/docs/tutorial/tool-use.ipynb", world(_tool_use)
    ),
    "nb_tutorial_chat_termination.py": Notebook(
        "website/docs/tutorial/chat-termination.ipynb", world(_comedians)
    ),
    "nb_tutorial_introduction.py": Notebook(
        "website/docs/tutorial/introduction.ipynb", world(_comedians)
    ),
    "nb_customized_speaker_selection.py": Notebook(
        "website/docs/topics/groupchat/customized_speaker_selection.ipynb",
        world(_stateflow),
        stdin="exit\n",
        runs_code=True,
    ),
    "nb_groupchat_research.py": Notebook(
        "notebook/agentchat_groupchat_research.ipynb",
        world(_research, after=_after_research),
        stdin="approve\nexit\napprove\nexit\n",
        runs_code=True,
    ),
    "nb_nested_sequential_chats.py": Notebook(
        "notebook/agentchat_nested_sequential_chats.ipynb",
        world(_nested_sequential),
        runs_code=True,
    ),
    "nb_function_call_async.py": Notebook(
        "notebook/agentchat_function_call_async.ipynb",
        world(_async_tools, after=_after_async),
    ),
    "nb_reflection.py": Notebook(
        "website/docs/topics/prompting-and-reasoning/reflection.ipynb",
        world(_reflection),
        stdin="exit\n",
        runs_code=True,
    ),
    "nb_tutorial_human_in_the_loop.py": Notebook(
        "website/docs/tutorial/human-in-the-loop.ipynb",
        world(_guessing),
        stdin="70\n60\n53\nexit\n" + "\nexit\n" * 3,
    ),
}
