"""rerun-git's numbers on Brisk projects equal real Brisk 1.2's (fixtures made by make_fixtures.py).

Each project in ``projects/`` is a Brisk project (``.brisk/``, ``import brisk``);
it runs here with ``rerun-git run --seed 7`` and every result JSON that Brisk
wrote must be there too, with the same keys, the same ``_metadata`` and every
number equal within ``rel_tol=1e-9``. The exceptions are the Brisk bugs listed in
docs/brisk.md, each asserted as what it is.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = {p.stem: json.loads(p.read_text()) for p in sorted((HERE / "fixtures").glob("*.json"))}
SEED = "7"
#: Brisk computes the MSLE under this name; rerun-git computes the root (docs/brisk.md).
RMSLE = "Root Mean Squared Log Error"
#: Projects whose numbers differ from Brisk's because of a Brisk bug, checked on their own below.
BUGGY = {"scaling_twice", "adjusted_r2"}


def _run(cli: Any, tmp_path: Path, project: str) -> Path:
    work = tmp_path / project
    shutil.copytree(HERE / "projects" / project, work)
    result = cli("run", "--no-capture", "--name", "ref", "--seed", SEED, cwd=work)
    assert result.code == 0, result.err
    return work / "results" / "ref"


def _experiment_files(fixture: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fixture.items() if not k.startswith("_") and "/split_distribution/" not in k}


def _distribution_files(fixture: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fixture.items() if "/split_distribution/" in k}


def _brisk_swapped(brisk: dict[str, Any]) -> dict[str, Any]:
    """Brisk's split_distribution ``_metadata`` with ``dataset`` and ``group`` put back (Brisk swaps them)."""
    meta = dict(brisk["_metadata"])
    meta["dataset"], meta["group"] = meta["group"], meta["dataset"]
    return {**brisk, "_metadata": meta}


def _same(ours: Any, brisk: Any, where: str) -> None:
    if isinstance(brisk, dict):
        assert isinstance(ours, dict) and set(ours) == set(brisk), f"{where}: keys {sorted(ours)} != {sorted(brisk)}"
        for key in brisk:
            if key == RMSLE:
                _same(ours[key], math.sqrt(brisk[key]), f"{where}/{key} (root of Brisk's value)")
            else:
                _same(ours[key], brisk[key], f"{where}/{key}")
    elif isinstance(brisk, list):
        assert isinstance(ours, list) and len(ours) == len(brisk), f"{where}: {ours!r} != {brisk!r}"
        for i, (a, b) in enumerate(zip(ours, brisk)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(brisk, float) and math.isnan(brisk):
        assert isinstance(ours, float) and math.isnan(ours), f"{where}: {ours!r} != Brisk's NaN"
    elif isinstance(brisk, float) or isinstance(ours, float):
        assert math.isclose(ours, brisk, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {ours!r} != Brisk's {brisk!r}"
    else:
        assert ours == brisk, f"{where}: {ours!r} != Brisk's {brisk!r}"


@pytest.mark.parametrize("project", sorted(set(FIXTURES) - BUGGY))
def test_every_metric_equals_brisk(cli: Any, tmp_path: Path, project: str) -> None:
    fixture = FIXTURES[project]
    assert fixture["_brisk_exit"] == 0 and not fixture["_brisk_failed"], fixture["_brisk_errors"]
    expected = _experiment_files(fixture)
    assert expected, "the fixture holds no experiment results"
    results = _run(cli, tmp_path, project)
    for rel, brisk in expected.items():
        path = results / rel
        assert path.is_file(), f"Brisk wrote {rel}, rerun-git did not"
        _same(json.loads(path.read_text()), brisk, rel)
    _same_distributions(results, fixture)


def _same_distributions(results: Path, fixture: dict[str, Any]) -> None:
    """Every split_distribution file Brisk wrote, with the same statistics (``_metadata`` unswapped)."""
    expected = _distribution_files(fixture)
    assert expected, "the fixture holds no split_distribution statistics"
    for rel, brisk in expected.items():
        path = results / rel
        assert path.is_file(), f"Brisk wrote {rel}, rerun-git did not"
        ours = json.loads(path.read_text())
        assert ours["_metadata"]["group"] == rel.split("/")[0], "rerun-git names the group in _metadata"
        assert brisk["_metadata"]["dataset"] == rel.split("/")[0], "Brisk names the group as the dataset"
        _same(ours, _brisk_swapped(brisk), rel)


def test_scaling_is_applied_once_where_brisk_applies_it_twice(cli: Any, tmp_path: Path) -> None:
    """Brisk's numbers are those of a model fitted on twice-min-max-scaled features; ours of once-scaled."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import StratifiedShuffleSplit
    from sklearn.preprocessing import MinMaxScaler

    fixture = FIXTURES["scaling_twice"]
    rel = "ref/cancer/split_0/ref_logistic/test_scores.json"
    brisk = fixture[rel]["Accuracy"]
    df = pd.read_csv(HERE / "projects" / "scaling_twice" / "datasets" / "cancer.csv")
    X, y = df.iloc[:, :-1], df.iloc[:, -1]
    train, test = next(StratifiedShuffleSplit(n_splits=1, test_size=0.3, random_state=3).split(X, y))
    scaler = MinMaxScaler().fit(X.iloc[train])
    once = [pd.DataFrame(scaler.transform(X.iloc[i]), columns=X.columns) for i in (train, test)]
    twice = [pd.DataFrame(scaler.transform(part), columns=X.columns) for part in once]

    def accuracy(parts: list[Any]) -> float:
        model = LogisticRegression(max_iter=10000).fit(parts[0], y.iloc[train])
        return float(accuracy_score(y.iloc[test], model.predict(parts[1])))

    assert math.isclose(brisk, accuracy(twice), rel_tol=1e-9)  # the reproducer of Brisk's bug
    results = _run(cli, tmp_path, "scaling_twice")
    ours = json.loads((results / rel).read_text())["Accuracy"]
    assert math.isclose(ours, accuracy(once), rel_tol=1e-9)
    assert ours != brisk
    _same_distributions(results, fixture)  # Brisk's statistics are of the once-scaled features, as ours


def test_adjusted_r2_works_where_brisk_fails(cli: Any, tmp_path: Path) -> None:
    """Brisk never sets the split metadata AdjR2 needs (KeyError 'num_features'); rerun-git passes it."""
    fixture = FIXTURES["adjusted_r2"]
    assert "Error: 'num_features'" in fixture["_brisk_errors"] and fixture["_brisk_failed"]
    assert not [k for k in _experiment_files(fixture) if k.endswith("test_scores.json")]
    results = _run(cli, tmp_path, "adjusted_r2")
    scores = json.loads((results / "ref/diabetes/split_0/ref_ridge/test_scores.json").read_text())
    assert -1.0 < scores["Adjusted R2 Score"] < 1.0
    _same_distributions(results, fixture)  # written by Brisk before its experiments failed


def test_the_fixtures_hold_what_the_projects_exercise() -> None:
    """multi_algorithm: one experiment with model and model2; split_stats: detected and configured categoricals."""
    pair = FIXTURES["multi_algorithm"]["pair/diabetes/split_0/pair_linear_ridge/comparison.json"]
    assert pair["_metadata"]["models"] == {"linear": "Linear Regression", "ridge": "Ridge Regression"}
    assert "defaults/diabetes/split_1/defaults_ridge_lasso/model2_scores.json" in FIXTURES["multi_algorithm"]
    stats = FIXTURES["split_stats"]
    detected = stats["detect/detect/split_0/split_distribution/categorical_stats.json"]
    assert sorted(k for k in detected if k != "_metadata") == ["band", "sex"]
    configured = stats["coded/coded/split_0/split_distribution/categorical_stats.json"]
    assert sorted(k for k in configured if k != "_metadata") == ["colour"]
    assert "sex" in stats["coded/coded/split_0/split_distribution/continuous_stats.json"]
