"""Where runs live and what their tags say: :class:`RefSettings`, :class:`RunRef` and :class:`TagMessage`.

The only code that builds or parses a run's ref names (``refs/tags/<prefix><name>``,
``refs/heads/<branch>``) and the subject + ``Rerun-*`` trailers of its commit
and tag messages (modelled on DVC's ``ExpRefInfo``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rerun_git.errors import RerunError

MAX_NAME_LENGTH = 200
TAGS = "refs/tags/"
HEADS = "refs/heads/"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_PREFIX_RE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]*/)+")
_BRANCH_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_NAME_HINT = "use letters, digits, '.', '_', '+' and '-', starting with a letter or digit"


def validate_run_name(name: str) -> str:
    """Return ``name`` if it is a valid run name, else raise :class:`RerunError`.

    Stricter than git's ref-name rules, so a valid name is always a valid ref
    and can never be read by git as an option.
    """
    if not name:
        raise RerunError("run name is empty", hint=_NAME_HINT)
    if len(name) > MAX_NAME_LENGTH:
        raise RerunError(f"run name is longer than {MAX_NAME_LENGTH} characters", hint=_NAME_HINT)
    if not _NAME_RE.fullmatch(name):
        raise RerunError(f"invalid run name {name!r}", hint=_NAME_HINT)
    if ".." in name or name.endswith((".", ".lock")):
        raise RerunError(f"invalid run name {name!r}: git refuses '..', a trailing '.' or '.lock'", hint=_NAME_HINT)
    return name


@dataclass(frozen=True)
class RefSettings:
    """Where runs live: the tag prefix and the runs branch (``[refs]`` of ``rerun.toml``)."""

    tag_prefix: str = "run/"
    branch: str = "rerun/runs"

    def __post_init__(self) -> None:
        if not _PREFIX_RE.fullmatch(self.tag_prefix) or ".." in self.tag_prefix or ".lock/" in self.tag_prefix:
            raise RerunError(f"rerun.toml: invalid refs.tag_prefix {self.tag_prefix!r}",
                             hint="use folder-like names ending in '/', e.g. \"run/\" or \"exp/runs/\"")
        if not _BRANCH_RE.fullmatch(self.branch) or ".." in self.branch or self.branch.endswith((".lock", "/", ".")):
            raise RerunError(f"rerun.toml: invalid refs.branch {self.branch!r}",
                             hint="use a plain branch name such as \"rerun/runs\"")

    @property
    def tag_namespace(self) -> str:
        """``refs/tags/<prefix>``: every run tag starts with it."""
        return TAGS + self.tag_prefix

    @property
    def tag_pattern(self) -> str:
        """The ``for-each-ref`` pattern matching every run tag (``refs/tags/run``)."""
        return self.tag_namespace.rstrip("/")

    @property
    def branch_ref(self) -> str:
        return HEADS + self.branch

    def tag_ref(self, name: str) -> str:
        return self.tag_namespace + name

    def tracking_ref(self, remote: str) -> str:
        """Where ``fetch`` keeps ``remote``'s runs branch: ``refs/remotes/<remote>/<branch>``."""
        return f"refs/remotes/{remote}/{self.branch}"

    @classmethod
    def of(cls, settings: Any) -> RefSettings:
        """The ``[refs]`` of a project's settings (a :class:`rerun_git.settings.ProjectSettings`)."""
        return cls(tag_prefix=settings.tag_prefix, branch=settings.branch)

    def is_runs_branch(self, refname: str) -> bool:
        """Whether ``refname`` is the runs branch or a remote's copy of it."""
        return refname == self.branch_ref or (refname.startswith("refs/remotes/") and refname.endswith("/" + self.branch))


@dataclass(frozen=True)
class RunRef:
    """One run's names: ``name``, its tag ``<prefix><name>`` and ref ``refs/tags/<prefix><name>``."""

    name: str
    settings: RefSettings = field(default=RefSettings())

    def __post_init__(self) -> None:
        validate_run_name(self.name)

    @property
    def tag(self) -> str:
        return self.settings.tag_prefix + self.name

    @property
    def ref(self) -> str:
        return self.settings.tag_namespace + self.name

    @classmethod
    def parse(cls, text: str, settings: RefSettings = RefSettings()) -> RunRef:
        """``NAME``, ``<prefix>NAME`` or ``refs/tags/<prefix>NAME`` as a run; an invalid name is refused."""
        for prefix in (settings.tag_namespace, settings.tag_prefix):
            if text.startswith(prefix):
                return cls(text[len(prefix):], settings)
        return cls(text, settings)

    @classmethod
    def from_ref(cls, refname: str, settings: RefSettings = RefSettings()) -> RunRef | None:
        """The run a full ref names; ``None`` when it is not a valid run tag under the prefix."""
        if not refname.startswith(settings.tag_namespace):
            return None
        try:
            return cls(refname[len(settings.tag_namespace):], settings)
        except RerunError:
            return None

    def __str__(self) -> str:
        return self.tag


SOURCE, DIRTY, VERSION, METRIC = "Rerun-Source", "Rerun-Dirty", "Rerun-Version", "Rerun-Metric"
PRIMARY = "Rerun-Primary"
#: A line that ``format`` refuses in the user's message: ``parse`` would take it for a trailer.
_TRAILER_RE = re.compile(r"^Rerun-", re.MULTILINE)


@dataclass(slots=True)
class TagMessage:
    """The message of a run's commit and tag: subject, the user's message, ``Rerun-*`` trailers.

    ::

        run <name>: <headline>

        <message, if any>

        Rerun-Source: <HEAD id | none>
        Rerun-Dirty: yes|no
        Rerun-Version: <rerun-git version>
        Rerun-Metric: <metric>=<value>      (tag only; one per headline metric)
        Rerun-Primary: <metric> min|max     (tag only; the primary metric and its direction)
    """

    name: str
    headline: str
    source: str | None
    dirty: bool
    version: str
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    #: ``(metric, greater_is_better)`` of the primary metric (``list --sort best``); None before it was recorded
    primary: tuple[str, bool] | None = None

    @property
    def subject(self) -> str:
        return f"run {self.name}: {self.headline}"

    def format(self, with_metrics: bool = True) -> str:
        """The message text (the commit's leaves the metric trailers out)."""
        for text in (self.name, self.headline, self.source or "", self.version):
            if "\n" in text:
                raise ValueError(f"a newline in a one-line field: {text!r}")
        if _TRAILER_RE.search(self.message):
            raise ValueError("a run message may not hold a line starting with 'Rerun-'")
        lines = [self.subject, ""]
        if self.message.strip("\n"):
            lines += [self.message.strip("\n"), ""]
        lines += [f"{SOURCE}: {self.source or 'none'}", f"{DIRTY}: {'yes' if self.dirty else 'no'}",
                  f"{VERSION}: {self.version}"]
        if with_metrics:
            for key, value in self.metrics.items():
                if "=" in key or "\n" in key:
                    raise ValueError(f"a metric name with '=' or a newline: {key!r}")
                lines.append(f"{METRIC}: {key}={float(value)!r}")
            if self.primary is not None:
                metric, greater = self.primary
                if not metric or " " in metric or "\n" in metric:
                    raise ValueError(f"a primary metric name with a space or a newline: {metric!r}")
                lines.append(f"{PRIMARY}: {metric} {'max' if greater else 'min'}")
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> TagMessage | None:
        """The run message in ``text``; ``None`` when it is not one (no ``Rerun-Version`` trailer).

        Built from the same readers ``list`` uses lazily (:func:`trailer_value`, :func:`metric_values`),
        so a message parses one way only: each trailer's last value counts, a metric whose value is no
        number is left out.
        """
        text = text.strip("\n")
        version = trailer_value(text, VERSION)
        if version is None:
            return None
        head = text[:text.find(_TRAILER_START)]
        subject, _, message = head.partition("\n")
        name, headline = split_subject(subject)
        return cls(name, headline, source_of(text), trailer_value(text, DIRTY) == "yes", version,
                   message.strip("\n"), metric_values(text), primary_of(text))


_TRAILER_START = "\nRerun-"
_NEEDLES = {key: f"\n{key}: " for key in (SOURCE, DIRTY, VERSION, METRIC, PRIMARY)}


def trailer_value(text: str, key: str) -> str | None:
    """The last value of trailer ``key`` (``Rerun-Source``...) in a message, found straight in the text."""
    needle = _NEEDLES[key]
    start = text.rfind(needle)  # a trailer is a line after the subject starting with "Rerun-<Key>: "
    if start < 0:
        return None
    start += len(needle)
    end = text.find("\n", start)
    return (text[start:] if end < 0 else text[start:end]).strip()


def metric_values(text: str) -> dict[str, float]:
    """Every ``Rerun-Metric: <name>=<value>`` of a message (the last value of a name counts; no number: left out)."""
    needle, metrics = _NEEDLES[METRIC], {}
    start = text.find(needle)
    while start >= 0:
        start += len(needle)
        end = text.find("\n", start)
        metric, _, number = (text[start:] if end < 0 else text[start:end]).strip().partition("=")
        try:
            metrics[metric] = float(number)
        except ValueError:
            pass
        start = text.find(needle, start) if end >= 0 else -1
    return metrics


def source_of(text: str) -> str | None:
    """The ``Rerun-Source`` commit of a message (``none``: None)."""
    value = trailer_value(text, SOURCE)
    return None if value in (None, "none") else value


def primary_of(text: str) -> tuple[str, bool] | None:
    """``(metric, greater_is_better)`` of a message's ``Rerun-Primary: MAE min`` trailer, if any."""
    metric, _, way = (trailer_value(text, PRIMARY) or "").partition(" ")
    return (metric, way == "max") if metric and way in ("min", "max") else None


def split_subject(subject: str) -> tuple[str, str]:
    """``run <name>: <headline>`` -> ``(name, headline)``; another subject -> ``("", subject)``."""
    subject = subject.rstrip("\r")
    if subject[:4] == "run ":
        name, sep, headline = subject[4:].partition(": ")
        if sep:
            return name, headline
    return "", subject
