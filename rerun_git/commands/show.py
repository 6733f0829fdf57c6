"""``rerun-git show``: one run's summary, or one section (files, env, datasets, metrics, config)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rerun_git.commands._output import print_json, print_table, out

SECTIONS = ("files", "env", "datasets", "metrics", "config")


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.listing import show_run

    data = show_run(args.run, Path.cwd())
    chosen = [s for s in SECTIONS if getattr(args, s, False)]
    if args.format == "json":
        if chosen:
            print_json({"name": data["name"], "tag": data["tag"], **{s: _section_data(data, s) for s in chosen}})
        else:
            print_json({k: v for k, v in data.items() if k != "provenance_lines"})
        return 0
    if not chosen:
        _summary(data)
        out()
        _summary_table(data["record"])
        out()
        chosen = ["files", "datasets", "metrics"] if data["record"]["datasets"] else ["files", "metrics"]
    for index, section in enumerate(chosen):
        if len(chosen) > 1:
            if index:
                out()
            out(section)
        PRINTERS[section](data["record"])
    return 0


def _section_data(data: dict[str, Any], section: str) -> Any:
    record = data["record"]
    if section == "env":
        return record["env"]
    if section == "config":
        from rerun_git.browse.changes import flatten_config

        return flatten_config(record)
    if section == "metrics":
        return record["results"]
    return record[section]


def _summary(data: dict[str, Any]) -> None:
    record = data["record"]
    source = (data["source"] or "none") + (" (dirty)" if data["dirty"] else "")
    env = record.get("env", {})
    packages = env.get("packages", {})
    from rerun_git.record.environment import CRITICAL_PACKAGES

    critical = " ".join(f"{p}={packages[p]}" for p in CRITICAL_PACKAGES if p in packages)
    out(f"run      {data['tag']}")
    out(f"commit   {data['commit']}")
    out(f"date     {record['created']}")
    out(f"source   {source}")
    out(f"seed     {record['seed']}")
    out(f"python   {env.get('python', '?')}" + (f"  {critical}" if critical else ""))
    if record.get("message"):
        out(f"message  {record['message']}")
    if record.get("reproduces"):
        out(f"reproduces {record['reproduces']}")
    if record.get("command"):
        import shlex

        out(f"command  {shlex.join(record['command']['argv'])}")
    if data.get("provenance_lines"):
        out("provenance")
        for line in data["provenance_lines"]:
            out(line)


def _summary_table(record: dict[str, Any]) -> None:
    from rerun_git.commands._output import print_summary
    from rerun_git.record.summary import summarize

    print_summary(summarize(record["results"]))


def _files(record: dict[str, Any]) -> None:
    print_table(["file", "sha256"], [(path, sha[:12]) for path, sha in record["files"].items()])


def _env(record: dict[str, Any]) -> None:
    from rerun_git.record.environment import CRITICAL_PACKAGES

    env = record["env"]
    out(f"python    {env.get('python', '?')} ({env.get('implementation', '?')})")
    out(f"platform  {env.get('platform', '?')}")
    packages = env.get("packages", {})
    print_table(["package", "version", "critical"],
                [(name, version, "yes" if name in CRITICAL_PACKAGES else "") for name, version in packages.items()])


def _datasets(record: dict[str, Any]) -> None:
    print_table(["dataset", "sha256", "size", "samples", "features", "embedded"], [
        (key, d["sha256"][:12], d["size"], d.get("num_samples"), d.get("num_features"), "yes" if d["embedded"] else "no")
        for key, d in record["datasets"].items()
    ])


def _metrics(record: dict[str, Any]) -> None:
    rows = [(row, metric, value) for row, metrics in record["results"].items() for metric, value in metrics.items()]
    print_table(["result", "metric", "value"], rows)


def _config(record: dict[str, Any]) -> None:
    from rerun_git.browse.changes import flatten_config

    for key, value in flatten_config(record).items():
        out(f"{key} = {value!r}")


PRINTERS = {"files": _files, "env": _env, "datasets": _datasets, "metrics": _metrics, "config": _config}
