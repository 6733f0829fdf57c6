"""The project on disk: dataset paths and the ``ProjectLoader``.

``ProjectLoader`` is the single IO boundary for project code: every project
file is read once, its bytes are kept in ``loader.files`` and the module is
executed from those bytes. Heavy modules (pandas, scikit-learn) are imported
lazily.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import linecache
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import ModuleType
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError

if TYPE_CHECKING:
    from rerun_git.experiment.strategy import RerunStrategy
    from rerun_git.experiment.algorithms import AlgorithmCollection
    from rerun_git.experiment.configuration import ExperimentPlan
    from rerun_git.experiment.data import DataManager
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import MetricManager
    from rerun_git.experiment.plot_settings import PlotSettings
    from rerun_git.experiment.workflow import Workflow

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
    service : RerunStrategy
        Receives every loaded object through its ``handle_load_*`` methods.
    """

    def __init__(self, root: Path, service: RerunStrategy) -> None:
        self.root = Path(root).resolve()
        self.service = service
        self.files: dict[str, bytes] = {}
        self._added: set[str] = set()
        self._stashed: dict[str, ModuleType] = {}
        self._forced: set[str] = set()
        self._depth = 0
        self._finder = _ProjectFinder(self)

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
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._uninstall()

    def _uninstall(self) -> None:
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
        """Run ``settings.py``'s ``create_configuration()`` and build the plan."""
        from rerun_git.experiment.configuration import Configuration

        module = self._import("settings.py")
        create = self._attr(module, "settings.py", "create_configuration")
        if not callable(create):
            raise RerunError("settings.py: create_configuration is not a function",
                             hint="def create_configuration() -> Configuration")
        config = self._call("settings.py", create)
        if not isinstance(config, Configuration):
            raise RerunError(f"settings.py: create_configuration() returned {type(config).__name__}",
                             hint="return a Configuration")
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
