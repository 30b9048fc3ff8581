"""A calculator function agent, for ``specs/human_math.yaml``.

It evaluates the arithmetic in the last message exactly, with fractions, and
never with :func:`eval`: the text is parsed with :mod:`ast` and only numbers,
``+ - * / // % **`` and parentheses are accepted.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from fractions import Fraction

from fsmchat._core.state import ChatView

__all__ = ["CalculationError", "calculate", "evaluate"]

HELP = "Type an arithmetic expression such as (1 + 2) * 3 / 4, or 'exit' to stop."
MAX_EXPONENT = 1000
MAX_BITS = 100_000

_BINARY: dict[type[ast.operator], Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


class CalculationError(ValueError):
    """The text is not arithmetic the calculator accepts, or cannot be computed."""


def evaluate(text: str) -> Fraction:
    """Return the exact value of the arithmetic expression ``text``.

    Raises:
        CalculationError: not an arithmetic expression, a division by zero,
            an exponent that is not a whole number of at most 1000, or a
            result of more than 100,000 bits.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        msg = "that is not an arithmetic expression"
        raise CalculationError(msg) from exc
    return _value(tree.body)


def _value(node: ast.expr) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow):
            if right.denominator != 1 or abs(right) > MAX_EXPONENT:
                msg = f"exponents must be whole numbers up to {MAX_EXPONENT}"
                raise CalculationError(msg)
            size = max(left.numerator.bit_length(), left.denominator.bit_length())
            if size * abs(right) > MAX_BITS:
                msg = f"the result would have more than {MAX_BITS} bits"
                raise CalculationError(msg)
            if left == 0 and right < 0:
                msg = "division by zero"
                raise CalculationError(msg)
            return left ** int(right)
        op = _BINARY.get(type(node.op))
        if op is not None:
            if right == 0 and not isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
                msg = "division by zero"
                raise CalculationError(msg)
            return op(left, right)
    msg = f"{ast.unparse(node)!r} is not allowed (only numbers, + - * / // % ** and parentheses)"
    raise CalculationError(msg)


def _show(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value} (≈ {float(value):.12g})"


def calculate(chat: ChatView) -> str:
    """Reply to the last message with its value (or say what went wrong)."""
    text = chat.last_content.strip()
    if not text:
        return HELP
    try:
        return f"{text} = {_show(evaluate(text))}"
    except CalculationError as exc:
        return f"I cannot compute {text!r}: {exc}. {HELP}"
