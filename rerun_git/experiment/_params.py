"""Small helpers shared by the rebuildable objects: TOML-safe export, dotted names."""
from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

from rerun_git.errors import RerunError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def to_plain(value: Any, where: str) -> Any:
    """Convert ``value`` into TOML-safe plain data (str/int/float/bool/list/dict/None).

    Parameters
    ----------
    value : Any
        The value to convert; tuples become lists, numpy scalars Python scalars.
    where : str
        Where the value lives, used in the error message.

    Returns
    -------
    Any
        The plain value.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise RerunError(
                    f"{where}: key {key!r} is not a string",
                    hint="use string keys so the configuration can be recorded",
                )
            out[key] = to_plain(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if type(value).__module__ == "numpy":
        tolist = getattr(value, "tolist", None)
        if callable(tolist):  # numpy scalars and arrays
            return to_plain(tolist(), where)
    raise RerunError(
        f"{where}: cannot record value of type {type(value).__name__}",
        hint="use only str, int, float, bool, None, lists and dicts of those",
    )


def dotted_name(obj: Any) -> str:
    """Return ``"module.QualName"`` for a class or function."""
    module = getattr(obj, "__module__", None) or type(obj).__module__
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}.{qualname}"


def resolve_dotted(name: str, what: str) -> Any:
    """Import and return the object named by a ``"module.QualName"`` string.

    Parameters
    ----------
    name : str
        Dotted path such as ``"sklearn.linear_model.Ridge"``.
    what : str
        What the object is, for the error message.

    Returns
    -------
    Any
        The resolved object.
    """
    if not isinstance(name, str) or "<" in name or not name.strip("."):
        raise RerunError(f"cannot resolve {what} {name!r}", hint="give a module-level name")
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            break
        return obj
    raise RerunError(
        f"cannot resolve {what} {name!r}",
        hint="check the module is installed and the name is spelled correctly",
    )


def check_safe_name(name: Any, what: str) -> str:
    """Check that ``name`` is usable as one path component; return it."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or name in {".", ".."}:
        raise RerunError(
            f"invalid {what} {name!r}",
            hint="use letters, digits, '_', '-' and '.', starting with a letter or digit",
        )
    return name


def check_choice(value: Any, allowed: tuple[Any, ...], what: str) -> None:
    """Raise RerunError unless ``value`` is one of ``allowed``."""
    if not any(type(value) is type(a) and value == a for a in allowed):
        choices = ", ".join(repr(a) for a in allowed)
        raise RerunError(f"invalid {what} {value!r}", hint=f"choose one of {choices}")


def dataset_key(file: str, table: str | None = None) -> str:
    """Return the record key of a dataset: ``"file"`` or ``"file|table"`` (import-light, for the service too)."""
    return file if table is None else f"{file}|{table}"
