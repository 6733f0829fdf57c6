"""RunRecord: TOML in, TOML out, None round-trips, corrupt records give one clear error."""
from __future__ import annotations

import tomllib

import pytest

from rerun_git.errors import RerunError
from rerun_git.record.run_record import RunRecord, decode_none, encode_none, summarize_metrics
from rerun_git.record.summary import summarize


def sample() -> RunRecord:
    return RunRecord(
        name="r1", created="2026-11-26T00:00:00Z", seed=7, rerun_git_version="0.1.0",
        base_data_manager={"random_state": None, "group_column": None, "preprocessors": [{"type": "X", "params": {"a": None}}]},
        algorithms=[{"name": "rf", "default_params": {"max_depth": None}, "hyperparam_grid": {"max_depth": [None, 3]}}],
        results={"g/d/split_0/rf/test": {"MAE": 1.5, "R2": float("nan")}},
    )


def test_none_round_trips_at_any_depth() -> None:
    record = sample()
    text = record.to_toml()
    back = RunRecord.from_toml(text)
    assert back.base_data_manager == record.base_data_manager
    assert back.algorithms == record.algorithms
    assert back.source_commit is None and back.reproduces is None
    assert tomllib.loads(text)["base_data_manager"]["random_state"] == {"__none__": True}


def test_floats_round_trip_exactly() -> None:
    record = sample()
    record.results = {"row": {"a": 0.1 + 0.2, "b": 1e-300, "c": -0.0, "d": 12345678.123456789}}
    assert RunRecord.from_toml(record.to_toml()).results == record.results


def test_nan_survives() -> None:
    back = RunRecord.from_toml(sample().to_toml())
    value = back.results["g/d/split_0/rf/test"]["R2"]
    assert value != value


def test_encode_decode_inverse() -> None:
    value = {"a": [None, {"b": None}], "c": (1, None)}
    assert decode_none(encode_none(value)) == {"a": [None, {"b": None}], "c": [1, None]}


@pytest.mark.parametrize("key", ["name", "created", "seed", "rerun_git_version", "schema"])
def test_missing_required_key(key: str) -> None:
    data = sample().to_dict()
    del data[key]
    with pytest.raises(RerunError, match=f"missing key '{key}'"):
        RunRecord.from_dict(data, origin="run/x:.rerun/run.toml")


@pytest.mark.parametrize("key,value", [("seed", "7"), ("dirty", "yes"), ("files", []), ("results", {"r": {"m": "x"}}), ("algorithms", [1])])
def test_wrong_types(key: str, value: object) -> None:
    data = sample().to_dict()
    data[key] = value
    with pytest.raises(RerunError, match=key):
        RunRecord.from_dict(data, origin="run/x:.rerun/run.toml")


def test_unparseable_toml() -> None:
    with pytest.raises(RerunError, match="run/x:.rerun/run.toml: cannot parse"):
        RunRecord.from_toml("name = ", origin="run/x:.rerun/run.toml")


def test_newer_schema_is_refused() -> None:
    data = sample().to_dict()
    data["schema"] = 99
    with pytest.raises(RerunError, match="newer"):
        RunRecord.from_dict(data)


def test_summary_means_and_disambiguates_files() -> None:
    table = {
        "g/d/split_0/a/test": {"MAE": 1.0},
        "g/d/split_1/a/test": {"MAE": 3.0},
        "g/d/split_0/a/train": {"MAE": 0.5, "R2": 0.9},
    }
    assert summarize_metrics(table) == {"MAE": 2.0}  # one name per metric; the headline describes the test file
    lines = {(line.file, line.metric): (line.mean, line.n) for line in summarize(table)}
    assert lines == {("test", "MAE"): (2.0, 2), ("train", "MAE"): (0.5, 1), ("train", "R2"): (0.9, 1)}
