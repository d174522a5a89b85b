"""Which plugin raised, or gave an answer, in a hook call made through pluggy.

pluggy returns a hook's answers without saying whose they are, and re-raises an exception
without saying which implementation raised it. gridpoints names the plugin in every error and
beside every rule set and check, so it works that out after the call:

- **who raised**: the deepest frame of the traceback that runs a hook implementation's code
  (a wrapper that turns one exception into another is the one named);
- **who gave an answer** (hooks that collect all results): when no wrapper wraps the hook and
  every implementation answered, pluggy's answers are in call order, one per implementation.
  Otherwise each implementation is asked again, alone (``ask``): the implementations that answer
  are then, in order, the givers of pluggy's answers when no wrapper wraps the hook; under a
  wrapper, an item is credited to the implementation whose own answer holds it (the same object,
  else an equal one) and an item no implementation gave to the wrapper(s);
- **who gave a first result**: asked only on an error path, the first implementation that
  answers alone, unless a wrapper changed its answer.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pluggy

__all__ = ["Givers", "call_order", "names", "raisers"]

#: Asks one implementation alone; returns its answer (None when it has none).
Ask = Callable[[pluggy.HookImpl], object]


def call_order(impls: Sequence[pluggy.HookImpl]) -> tuple[list[pluggy.HookImpl], list[pluggy.HookImpl]]:
    """The plain implementations and the wrappers (new- and old-style), each in pluggy's call order."""
    ordered = list(reversed(impls))  # pluggy calls the last of ``get_hookimpls()`` first
    return [i for i in ordered if not (i.wrapper or i.hookwrapper)], [i for i in ordered if i.wrapper or i.hookwrapper]


def names(impls: Sequence[pluggy.HookImpl]) -> str:
    """The plugin names of ``impls`` as one string: ``a`` or ``a or b``."""
    unique = list(dict.fromkeys(i.plugin_name for i in impls))
    return " or ".join(unique)


def _code(impl: pluggy.HookImpl) -> types.CodeType | None:
    function: Any = impl.function
    return getattr(getattr(function, "__func__", function), "__code__", None)


def _runs(impl: pluggy.HookImpl, frame: types.FrameType) -> bool:
    """Whether ``frame`` runs ``impl`` (its code, and for a bound method its own object)."""
    bound = getattr(impl.function, "__self__", None)
    if bound is None:
        return True
    code = frame.f_code
    first = code.co_varnames[0] if code.co_argcount else None
    return first is not None and frame.f_locals.get(first) is bound


def raisers(error: BaseException, impls: Sequence[pluggy.HookImpl]) -> list[pluggy.HookImpl]:
    """The implementation whose frame is the deepest of ``error``'s traceback, or [] if none is.

    Several only when one function is registered by several plugins and the frame cannot tell
    them apart. [] when the error did not come from a plugin's code (pluggy refusing a wrapper
    that did not yield, say, or a hook-call monitor).
    """
    by_code: dict[types.CodeType, list[pluggy.HookImpl]] = {}
    for impl in impls:
        code = _code(impl)
        if code is not None:
            by_code.setdefault(code, []).append(impl)
    found: list[pluggy.HookImpl] = []
    tb = error.__traceback__
    while tb is not None:
        candidates = by_code.get(tb.tb_frame.f_code)
        if candidates:
            found = [i for i in candidates if _runs(i, tb.tb_frame)] or candidates
        tb = tb.tb_next
    return found


def _equal(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an object whose __eq__ raises is simply not equal
        return False


def _holds(answer: object, thing: object) -> bool:
    """Whether one implementation's own ``answer`` is ``thing``, equals it, or contains it."""
    if answer is thing or _equal(answer, thing):
        return True
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return False
    contents = list(answer)
    return any(x is thing for x in contents) or any(_equal(x, thing) for x in contents)


class Givers:
    """Names the plugins behind the answers of one hook call, asking again only when needed.

    ``impls`` are the hook's implementations as they were when it was called; ``ask`` asks one
    of them alone. Each implementation is asked at most once.
    """

    def __init__(self, impls: Sequence[pluggy.HookImpl], ask: Ask) -> None:
        self.plain, self.wrappers = call_order(impls)
        self._ask = ask
        self._own: list[tuple[pluggy.HookImpl, object]] | None = None

    def _answering(self) -> list[tuple[pluggy.HookImpl, object]]:
        """Each implementation that answers alone, with its answer, in call order."""
        if self._own is None:
            self._own = [(impl, answer) for impl in self.plain if (answer := self._ask(impl)) is not None]
        return self._own

    def of_answers(self, answers: Sequence[object]) -> list[str]:
        """The giver of each answer of a hook that collects all results."""
        if not self.wrappers:
            if len(answers) == len(self.plain):
                return [impl.plugin_name for impl in self.plain]
            answering = self._answering()
            if len(answering) == len(answers):
                return [impl.plugin_name for impl, _ in answering]
        return [self.holder(answer) for answer in answers]

    def of_item(self, item: object, answer_giver: str) -> str:
        """The giver of one item of an answer: the answer's, unless a wrapper wraps the hook."""
        return self.holder(item) if self.wrappers else answer_giver

    def holder(self, thing: object) -> str:
        """The implementation whose own answer is or holds ``thing``; else the wrapper(s).

        With no wrapper and no holder (an implementation answering differently when asked
        again), every implementation is named.
        """
        for impl, mine in self._answering():
            if _holds(mine, thing):
                return impl.plugin_name
        return names(self.wrappers) or names(self.plain)

    def of_first(self, answer: object) -> str:
        """The giver of a first-result hook's ``answer``: the first implementation that answers
        alone, unless a wrapper changed its answer (then the wrapper(s))."""
        for impl in self.plain:
            mine = self._ask(impl)
            if mine is None:
                continue
            if not self.wrappers or mine is answer or _equal(mine, answer):
                return impl.plugin_name
            break
        return names(self.wrappers) or names(self.plain)
