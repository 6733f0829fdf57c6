"""Small helpers shared by the rebuildable objects: TOML-safe export, dotted names."""
from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

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


_NAMED_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def exportable(value: Any) -> Any:
    """A parameter value as recordable data: classes and functions by dotted name, objects by ``export_params()``."""
    if isinstance(value, type) or inspect.isfunction(value) or inspect.isbuiltin(value):
        return dotted_name(value)
    if callable(getattr(value, "export_params", None)):
        return value.export_params()
    if isinstance(value, (list, tuple)) and any(callable(getattr(v, "export_params", None)) for v in value):
        return [exportable(v) for v in value]
    return value


class Rebuildable:
    """Objects rebuilt from their constructor arguments, as scikit-learn's ``BaseEstimator``.

    The parameter names are those of ``__init__``'s signature, and each is kept
    in an attribute of the same name (a ``**name`` parameter in a dict attribute
    ``name``), so ``type(obj)(**obj.get_params())`` rebuilds ``obj`` and
    ``from_params(export_params())`` rebuilds it from recorded data.
    """

    @classmethod
    def param_names(cls) -> list[str]:
        """The named parameters of ``__init__``, in order."""
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        return [p.name for p in params if p.kind in _NAMED_KINDS]

    @classmethod
    def _var_keyword(cls) -> str | None:
        params = inspect.signature(cls.__init__).parameters.values()
        return next((p.name for p in params if p.kind is inspect.Parameter.VAR_KEYWORD), None)

    def _keep_params(self, values: Mapping[str, Any]) -> None:
        """Keep each named constructor argument found in ``values`` (``__init__``'s ``locals()``) as its attribute."""
        for name in self.param_names():
            if name in values:
                setattr(self, name, values[name])

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments as stored (``**kwargs`` merged in)."""
        params = {name: getattr(self, name) for name in self.param_names()}
        extra = self._var_keyword()
        return {**params, **getattr(self, extra)} if extra else params

    def export_params(self) -> dict[str, Any]:
        """TOML-safe :meth:`get_params` (see :func:`exportable`)."""
        where = f"{type(self).__name__} {getattr(self, 'name', '')}".strip()
        return to_plain({k: exportable(v) for k, v in self.get_params().items()}, where)

    @classmethod
    def from_params(cls, d: Mapping[str, Any]) -> Any:
        """Rebuild from :meth:`export_params` output."""
        if cls._var_keyword() is None:
            unknown = sorted(set(d) - set(cls.param_names()))
            if unknown:
                raise RerunError(f"unknown {cls.__name__} parameter(s) {', '.join(unknown)}",
                                 hint=f"allowed: {', '.join(cls.param_names())}")
        return cls(**cls._rebuilt(dict(d)))

    @classmethod
    def _rebuilt(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Turn recorded values back into objects (e.g. a dotted class name into the class)."""
        return params


T = TypeVar("T", bound=Rebuildable)


class NamedCollection(Generic[T]):
    """Named :class:`Rebuildable` items, each name (and :meth:`_labels`) unique.

    Subclasses set :attr:`item_type`, :attr:`item_label` and :attr:`wrap_hint`.
    """

    item_type: ClassVar[type]
    item_label: ClassVar[str] = "item"
    wrap_hint: ClassVar[str] = ""
    unique_hint: ClassVar[str] = ""

    def __init__(self, *items: T) -> None:
        self.wrappers: list[T] = list(items)
        seen: set[str] = set()
        for item in self.wrappers:
            if not isinstance(item, self.item_type):
                raise RerunError(f"{type(self).__name__} got {type(item).__name__}, not a {self.item_type.__name__}",
                                 hint=self.wrap_hint)
            for label in self._labels(item):
                if label in seen:
                    raise RerunError(f"duplicate {self.item_label} name {label!r}", hint=self.unique_hint)
                seen.add(label)

    @staticmethod
    def _labels(item: Any) -> set[str]:
        return {item.name}

    def names(self) -> list[str]:
        """The names in order."""
        return [item.name for item in self.wrappers]

    def __contains__(self, key: object) -> bool:
        return key in self.names()

    def __iter__(self) -> Iterator[T]:
        return iter(self.wrappers)

    def __len__(self) -> int:
        return len(self.wrappers)

    def export_params(self) -> list[dict[str, Any]]:
        """Each item's ``export_params()`` in order."""
        return [item.export_params() for item in self.wrappers]

    @classmethod
    def from_params(cls, items: list[dict[str, Any]]) -> Any:
        """Rebuild from :meth:`export_params` output (a list of tables; anything else is one RerunError)."""
        if not isinstance(items, (list, tuple)) or not all(isinstance(d, Mapping) for d in items):
            raise RerunError(f"{cls.__name__} parameters should be a list of tables",
                             hint="the run's record was edited or damaged")
        return cls(*(cls.item_type.from_params(d) for d in items))


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


def split_dataset_key(key: str) -> tuple[str, str | None]:
    """The inverse of :func:`dataset_key`: ``"file"`` -> ``("file", None)``, ``"file|table"`` -> ``("file", "table")``."""
    file, sep, table = str(key).partition("|")
    return (file, table) if sep else (file, None)
