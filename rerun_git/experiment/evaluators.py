"""A registry of named evaluators run from workflows."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment._params import dotted_name

EVALUATOR_KINDS = ("measure", "plot")


class Evaluator:
    """One registered evaluator.

    Parameters
    ----------
    name : str
        Registry name.
    func : callable
        ``measure``: ``func(model, X, y) -> float | dict[str, float]``;
        ``plot``: ``func(model, X, y, path)`` writing a figure to ``path``.
    kind : {"measure", "plot"}
        What the evaluator produces.
    """

    def __init__(self, name: str, func: Callable[..., Any], kind: str = "measure") -> None:
        self.name = name
        self.func = func
        self.kind = kind

    def __repr__(self) -> str:
        return f"Evaluator(name={self.name!r}, kind={self.kind!r})"


class EvaluatorRegistry:
    """Named evaluators; filled by the project's ``register_custom_evaluators``."""

    def __init__(self) -> None:
        self._evaluators: dict[str, Evaluator] = {}

    def register(self, name: str, func: Callable[..., Any], kind: str = "measure") -> None:
        """Register ``func`` under ``name``.

        Parameters
        ----------
        name : str
            Unique evaluator name.
        func : callable
            The evaluator function (see :class:`Evaluator`).
        kind : {"measure", "plot"}
            ``measure`` returns numbers that are recorded; ``plot`` writes a file.
        """
        if not isinstance(name, str) or not name:
            raise RerunError(f"invalid evaluator name {name!r}", hint="use a non-empty string")
        if name in self._evaluators:
            raise RerunError(f"evaluator {name!r} registered twice", hint="give every evaluator a unique name")
        if not callable(func):
            raise RerunError(f"evaluator {name!r}: func is not callable", hint="pass a function")
        if kind not in EVALUATOR_KINDS:
            raise RerunError(f"evaluator {name!r}: invalid kind {kind!r}",
                             hint=f"choose one of {', '.join(EVALUATOR_KINDS)}")
        self._evaluators[name] = Evaluator(name, func, kind)

    def get(self, name: str) -> Evaluator:
        """Return the evaluator named ``name``."""
        try:
            return self._evaluators[name]
        except KeyError:
            known = ", ".join(self.names()) or "(none registered)"
            raise RerunError(f"unknown evaluator {name!r}", hint=f"known evaluators: {known}") from None

    def names(self) -> list[str]:
        """Return the registered names in registration order."""
        return list(self._evaluators)

    def __contains__(self, name: object) -> bool:
        return name in self._evaluators

    def __len__(self) -> int:
        return len(self._evaluators)

    def export_params(self) -> dict[str, dict[str, str]]:
        """Return ``{name: {"func": "module.qualname", "kind": kind}}``."""
        return {n: {"func": dotted_name(e.func), "kind": e.kind} for n, e in self._evaluators.items()}
