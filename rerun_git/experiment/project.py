"""The project on disk: root discovery, rerun.toml and the ``ProjectLoader``.

``ProjectLoader`` is the single IO boundary for project code: every project
file is read once, its bytes are kept in ``loader.files`` and the module is
executed from those bytes. Heavy modules (pandas, scikit-learn) are imported
lazily so that ``find_project_root`` stays cheap.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import linecache
import sys
import tomllib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from rerun_git.errors import RerunError
from rerun_git.experiment.brisk import BriskFinder

if TYPE_CHECKING:
    from rerun_git.experiment.algorithms import AlgorithmCollection
    from rerun_git.experiment.configuration import ExperimentPlan
    from rerun_git.experiment.data import DataManager
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import MetricManager
    from rerun_git.experiment.plot_settings import PlotSettings
    from rerun_git.experiment.workflow import Workflow

MARKER = "rerun.toml"
#: A Brisk project's marker folder (``brisk create`` writes it); ``rerun.toml`` is optional beside it.
BRISK_MARKER = ".brisk"


def is_project_root(folder: Path) -> bool:
    """Whether ``folder`` holds ``rerun.toml`` or a Brisk project's ``.brisk/`` folder."""
    return (folder / MARKER).is_file() or (folder / BRISK_MARKER).is_dir()


# ---------------------------------------------------------------- root + settings
def find_project_root(start: Path) -> Path:
    """Return the nearest folder at or above ``start`` that holds ``rerun.toml`` or ``.brisk/``."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if is_project_root(folder):
            return folder
    raise RerunError(f"no {MARKER} found in {start} or any parent",
                     hint="run `rerun-git create` to start a project, or cd into one "
                          "(a Brisk project's .brisk/ folder marks one too)")


@dataclass
class ProjectSettings:
    """The settings of ``rerun.toml`` (every key optional)."""

    include: list[str] = field(default_factory=lambda: ["**/*.py", "rerun.toml"])
    exclude: list[str] = field(default_factory=list)
    embed_datasets_max_mb: float = 50
    keep_results: list[str] = field(default_factory=lambda: ["**/*.json"])
    tag_prefix: str = "run/"
    branch: str = "rerun/runs"
    post_run_hook: str | None = None


# (table, key) -> (ProjectSettings field, expected kind)
_SETTINGS_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("capture", "include"): ("include", "strings"),
    ("capture", "exclude"): ("exclude", "strings"),
    ("capture", "embed_datasets_max_mb"): ("embed_datasets_max_mb", "number"),
    ("capture", "keep_results"): ("keep_results", "strings"),
    ("refs", "tag_prefix"): ("tag_prefix", "string"),
    ("refs", "branch"): ("branch", "string"),
    ("hooks", "post_run"): ("post_run_hook", "string"),
}


def _check_setting(value: Any, kind: str, key: str) -> Any:
    ok = {
        "strings": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "string": isinstance(value, str),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0,
    }[kind]
    if not ok:
        want = {"strings": "a list of strings", "string": "a string", "number": "a non-negative number"}[kind]
        raise RerunError(f"{MARKER}: {key} must be {want}", hint=f"got {value!r}")
    return value


def parse_project_settings(data: bytes) -> ProjectSettings:
    """Parse the bytes of ``rerun.toml`` into :class:`ProjectSettings`."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RerunError(f"{MARKER}: malformed TOML: {exc}", hint="fix the syntax of rerun.toml") from exc
    tables = sorted({t for t, _ in _SETTINGS_KEYS})
    values: dict[str, Any] = {}
    for table, content in doc.items():
        if table not in tables or not isinstance(content, dict):
            raise RerunError(f"{MARKER}: unknown section {table!r}", hint=f"sections: {', '.join(tables)}")
        for key, value in content.items():
            spec = _SETTINGS_KEYS.get((table, key))
            if spec is None:
                allowed = ", ".join(k for t, k in _SETTINGS_KEYS if t == table)
                raise RerunError(f"{MARKER}: unknown key {table}.{key}", hint=f"keys in [{table}]: {allowed}")
            values[spec[0]] = _check_setting(value, spec[1], f"{table}.{key}")
    return ProjectSettings(**values)


def load_project_settings(root: Path) -> ProjectSettings:
    """Read ``root/rerun.toml`` (defaults when it is missing keys, or absent beside ``.brisk/``)."""
    path = Path(root) / MARKER
    if not path.exists() and (Path(root) / BRISK_MARKER).is_dir():
        return ProjectSettings()
    try:
        return parse_project_settings(path.read_bytes())
    except OSError as exc:
        raise RerunError(f"cannot read {path}: {exc.strerror}", hint="run `rerun-git create`") from exc


def dataset_path(root: Path, file: str) -> Path:
    """Return ``root/datasets/<file>``, rejecting absolute paths and escapes."""
    if not isinstance(file, str) or not file:
        raise RerunError(f"invalid dataset path {file!r}", hint="give a file name under datasets/")
    pure = PurePosixPath(file.replace("\\", "/"))
    if pure.is_absolute() or PureWindowsPath(file).is_absolute() or ".." in pure.parts:
        raise RerunError(f"dataset path {file!r} escapes the datasets/ folder",
                         hint="give a path relative to datasets/, without '..'")
    base = (Path(root) / "datasets").resolve()
    path = (base / pure).resolve()
    if not path.is_relative_to(base):
        raise RerunError(f"dataset path {file!r} escapes the datasets/ folder",
                         hint="symbolic links out of datasets/ are not allowed")
    return path


# ---------------------------------------------------------------- service protocol
class LoaderService(Protocol):
    """What the loader hands loaded objects to (the RerunService / its strategy)."""

    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        """Return the data manager to use."""

    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        """Return the algorithm collection to use."""

    def handle_load_metric_config(self, metric_config: Any) -> Any:
        """Return the metric manager to use."""

    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        """Return the evaluators module to use."""

    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        """Return the workflow class to use."""


# ---------------------------------------------------------------- import machinery
class _ProjectFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds modules inside the project root and executes them from captured bytes."""

    def __init__(self, loader: ProjectLoader) -> None:
        self.project = loader

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        root = self.project.root
        if path is None:
            dirs = [root]
        else:
            dirs = [Path(p) for p in path if Path(p).resolve().is_relative_to(root)]
        leaf = fullname.rpartition(".")[2]
        for folder in dirs:
            spec = self._spec_in(folder, fullname, leaf)
            if spec is not None:
                return spec
        return None

    def _spec_in(self, folder: Path, fullname: str, leaf: str) -> importlib.machinery.ModuleSpec | None:
        pkg, mod = folder / leaf, folder / f"{leaf}.py"
        if (pkg / "__init__.py").is_file():
            spec = importlib.machinery.ModuleSpec(fullname, self, origin=str(pkg / "__init__.py"), is_package=True)
            spec.submodule_search_locations = [str(pkg)]
        elif mod.is_file():
            spec = importlib.machinery.ModuleSpec(fullname, self, origin=str(mod))
        elif pkg.is_dir() and leaf.isidentifier() and self._namespace_allowed(fullname):
            spec = importlib.machinery.ModuleSpec(fullname, self, origin=None, is_package=True)
            spec.submodule_search_locations = [str(pkg)]
        else:
            return None
        spec.has_location = spec.origin is not None
        return spec

    def _namespace_allowed(self, fullname: str) -> bool:
        # Like Python, a plain folder loses to a real module found elsewhere
        # (e.g. a project's datasets/ folder vs an installed `datasets` package).
        if fullname in self.project._forced or "." in fullname:
            return True
        others = [p for p in sys.path if p != str(self.project.root)]
        spec = importlib.machinery.PathFinder.find_spec(fullname, others)
        return spec is None or spec.loader is None or spec.origin in (None, "namespace")

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        self.project._added.add(module.__name__)
        origin = module.__spec__.origin if module.__spec__ else None
        if origin is not None:
            self.project._execute(Path(origin), module)


class ProjectLoader:
    """Load a project's files once, keep their bytes, and execute those bytes.

    Parameters
    ----------
    root : Path
        The project root (the folder holding ``rerun.toml``).
    service : LoaderService
        Receives every loaded object through its ``handle_load_*`` methods.
    """

    def __init__(self, root: Path, service: LoaderService) -> None:
        self.root = Path(root).resolve()
        self.service = service
        self.files: dict[str, bytes] = {}
        self._added: set[str] = set()
        self._stashed: dict[str, ModuleType] = {}
        self._forced: set[str] = set()
        self._depth = 0
        self._finder = _ProjectFinder(self)
        self.brisk = BriskFinder()
        self._hidden_brisk: dict[str, ModuleType] = {}

    # -- files
    def relpath(self, path: Path) -> str:
        """Return ``path`` relative to the root as a POSIX string."""
        return Path(path).resolve().relative_to(self.root).as_posix()

    def read_bytes(self, relpath: str) -> bytes:
        """Return the bytes of a project file, reading it at most once."""
        if relpath not in self.files:
            try:
                self.files[relpath] = (self.root / relpath).read_bytes()
            except OSError as exc:
                raise RerunError(f"cannot read {relpath}: {exc.strerror}", hint="check the file exists") from exc
        return self.files[relpath]

    def load_settings(self) -> ProjectSettings:
        """Return the parsed ``rerun.toml`` (its bytes are kept in ``files``)."""
        return parse_project_settings(self.read_bytes(MARKER))

    def _execute(self, path: Path, module: ModuleType) -> None:
        try:
            rel = self.relpath(path)
        except ValueError:  # a symbolic link out of the project: it could not be captured
            shown = Path(path).relative_to(self.root).as_posix() if Path(path).is_relative_to(self.root) else path
            raise RerunError(f"{shown} links to {Path(path).resolve()}, outside the project",
                             hint="copy the file into the project: only files inside it are captured") from None
        data = self.read_bytes(rel)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RerunError(f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                             hint="save the file as UTF-8") from None
        try:
            code = compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise RerunError(f"{rel}:{exc.lineno}: SyntaxError: {exc.msg}", hint="fix the syntax error") from None
        module.__file__ = str(path)
        linecache.cache[str(path)] = (len(source), None, source.splitlines(True), str(path))
        try:
            exec(code, module.__dict__)
        except RerunError:
            raise
        except Exception as exc:
            raise self.error_from(exc, rel) from exc

    def error_from(self, exc: BaseException, default_rel: str | None = None) -> RerunError:
        """Return a RerunError ``"<relpath>:<line>: <ExcType>: <msg>"`` for ``exc``.

        The location is the innermost traceback frame in a loaded project file.
        """
        if isinstance(exc, RerunError):
            return exc
        where = default_rel or "?"
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            try:
                rel = self.relpath(Path(frame.f_code.co_filename))
            except ValueError:
                continue
            if rel in self.files:
                where = f"{rel}:{lineno}"
        return RerunError(f"{where}: {type(exc).__name__}: {exc}", hint="fix the error in your project code")

    # -- importing
    @contextlib.contextmanager
    def importing(self) -> Iterator[ProjectLoader]:
        """Install the project finder and put the root first on ``sys.path`` (re-entrant)."""
        if self._depth == 0:
            sys.path.insert(0, str(self.root))
            sys.meta_path.insert(0, self._finder)
            self._hidden_brisk = self.brisk.install()
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._uninstall()

    def _uninstall(self) -> None:
        self.brisk.uninstall(self._hidden_brisk)
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self._finder)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(self.root))
        for name in self._added:
            sys.modules.pop(name, None)
        self._added.clear()
        self._forced.clear()
        sys.modules.update(self._stashed)
        self._stashed.clear()
        for key in [k for k in sys.path_importer_cache if str(k).startswith(str(self.root))]:
            del sys.path_importer_cache[key]

    def _import(self, relpath: str) -> ModuleType:
        """Import the project module at ``relpath`` (e.g. ``"workflows/basic.py"``)."""
        if not (self.root / relpath).is_file():
            raise RerunError(f"{relpath} not found in {self.root}", hint=f"create {relpath}")
        parts = relpath[: -len(".py")].split("/")
        name = ".".join(parts)
        with self.importing():
            for i in range(1, len(parts) + 1):
                self._stash_foreign(".".join(parts[:i]))
                self._forced.add(".".join(parts[:i]))
            try:
                return importlib.import_module(name)
            except RerunError:
                raise
            except Exception as exc:
                raise self.error_from(exc, relpath) from exc

    def _stash_foreign(self, name: str) -> None:
        module = sys.modules.get(name)
        if module is not None and name not in self._added:
            self._stashed.setdefault(name, module)
            del sys.modules[name]

    def _call(self, rel: str, func: Any, *args: Any) -> Any:
        with self.importing():
            try:
                return func(*args)
            except RerunError:
                raise
            except Exception as exc:
                raise self.error_from(exc, rel) from exc

    def _attr(self, module: ModuleType, rel: str, name: str) -> Any:
        if not hasattr(module, name):
            raise RerunError(f"{rel} does not define {name}", hint=f"define {name} in {rel}")
        return getattr(module, name)

    # -- loads
    def load_configuration(self) -> ExperimentPlan:
        """Run ``settings.py``'s ``create_configuration()`` and build the plan.

        ``create_configuration()`` may return the ``Configuration`` or, as Brisk's
        templates do, ``config.build()``.
        """
        from rerun_git.experiment.configuration import Configuration, ExperimentPlan

        module = self._import("settings.py")
        create = self._attr(module, "settings.py", "create_configuration")
        if not callable(create):
            raise RerunError("settings.py: create_configuration is not a function",
                             hint="def create_configuration() -> Configuration")
        config = self._call("settings.py", create)
        if isinstance(config, ExperimentPlan):
            return config
        if not isinstance(config, Configuration):
            raise RerunError(f"settings.py: create_configuration() returned {type(config).__name__}",
                             hint="return the Configuration (or config.build())")
        return self._call("settings.py", config.build)

    def load_base_data_manager(self) -> DataManager:
        """Load ``data.py``'s ``BASE_DATA_MANAGER`` through the service."""
        from rerun_git.experiment.data import DataManager

        dm = self._attr(self._import("data.py"), "data.py", "BASE_DATA_MANAGER")
        self._check_type(dm, DataManager, "data.py", "BASE_DATA_MANAGER")
        return self.service.handle_load_base_data_manager(dm)

    def load_algorithms(self) -> AlgorithmCollection:
        """Load ``algorithms.py``'s ``ALGORITHM_CONFIG`` through the service."""
        from rerun_git.experiment.algorithms import AlgorithmCollection

        algos = self._attr(self._import("algorithms.py"), "algorithms.py", "ALGORITHM_CONFIG")
        self._check_type(algos, AlgorithmCollection, "algorithms.py", "ALGORITHM_CONFIG")
        return self.service.handle_load_algorithms(algos)

    def load_metrics(self) -> MetricManager:
        """Load ``metrics.py``'s ``METRIC_CONFIG`` through the service."""
        from rerun_git.experiment.metrics import MetricManager

        metrics = self._attr(self._import("metrics.py"), "metrics.py", "METRIC_CONFIG")
        self._check_type(metrics, MetricManager, "metrics.py", "METRIC_CONFIG")
        return self.service.handle_load_metric_config(metrics)

    def load_evaluators(self, plot_settings: PlotSettings) -> EvaluatorRegistry:
        """Return a registry filled by the optional ``evaluators.py``."""
        from rerun_git.experiment.evaluators import EvaluatorRegistry

        registry = EvaluatorRegistry()
        if not (self.root / "evaluators.py").is_file():
            return registry
        module = self._import("evaluators.py")
        module = self.service.handle_load_custom_evaluators(module, self.root / "evaluators.py")
        register = self._attr(module, "evaluators.py", "register_custom_evaluators")
        self._call("evaluators.py", register, registry, plot_settings)
        return registry

    def load_workflow(self, name: str) -> type[Workflow]:
        """Return the single Workflow subclass defined in ``workflows/<name>.py``."""
        from rerun_git.experiment.workflow import Workflow

        if not isinstance(name, str) or not name.isidentifier():
            raise RerunError(f"invalid workflow name {name!r}", hint="use the module name, e.g. 'basic'")
        rel = f"workflows/{name}.py"
        module = self._import(rel)
        found = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Workflow)
                 and v is not Workflow and v.__module__ == module.__name__]
        if len(found) != 1:
            names = ", ".join(c.__name__ for c in found)
            raise RerunError(f"{rel} defines {len(found)} Workflow subclasses{': ' + names if names else ''}",
                             hint="define exactly one class inheriting from Workflow")
        if found[0].workflow is Workflow.workflow:
            raise RerunError(f"{rel}: {found[0].__name__} does not implement workflow()",
                             hint="def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names)")
        return self.service.handle_load_workflow(found[0], name)

    @staticmethod
    def _check_type(value: Any, cls: type, rel: str, name: str) -> None:
        if not isinstance(value, cls):
            raise RerunError(f"{rel}: {name} is a {type(value).__name__}, not a {cls.__name__}",
                             hint=f"{name} = {cls.__name__}(...)")
