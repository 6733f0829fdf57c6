from __future__ import annotations

import pytest

from rerun_git.errors import RerunError
from rerun_git.experiment.configuration import Configuration
from rerun_git.experiment.plot_settings import PlotSettings
from rerun_git.experiment.preprocessing import ScalingPreprocessor


def config(**kwargs) -> Configuration:
    return Configuration("basic", ["linear", "ridge"], **kwargs)


def test_build_and_export():
    c = config(categorical_features={"a.csv": ["c"], ("b.db", "t"): ["d"]},
               default_workflow_args={"k": 1}, plot_settings=PlotSettings(dpi=72))
    c.add_experiment_group(name="g1", datasets=["a.csv", ("b.db", "t")], workflow_args={"j": 2})
    c.add_experiment_group(name="g2", datasets=["a.csv"], workflow="other", algorithms=["lasso"],
                           data_config={"n_splits": 3, "preprocessors": [ScalingPreprocessor()]},
                           description="second")
    plan = c.build()
    g1, g2 = plan.groups
    assert g1.workflow == "basic" and g1.algorithms == ["linear", "ridge"] and g1.workflow_args == {"k": 1, "j": 2}
    assert g2.algorithms == ["lasso"] and g2.description == "second"
    assert plan.categorical_for("b.db", "t") == ["d"] and plan.categorical_for("a.csv") == ["c"]
    assert plan.categorical_for("zzz.csv") == [] and c.categorical_for("a.csv") == ["c"]
    assert plan.plot_settings.dpi == 72
    assert g1.export_params()["datasets"] == ["a.csv", ["b.db", "t"]]
    assert g2.export_params()["data_config"]["preprocessors"] == [
        {"type": "ScalingPreprocessor", "params": {"method": "standard"}}]
    exported = c.export_params()
    assert exported["categorical_features"] == {"a.csv": ["c"], "b.db|t": ["d"]}
    assert len(exported["experiment_groups"]) == 2
    plan_params = plan.export_params()
    assert plan_params["categorical_features"] == exported["categorical_features"]
    assert plan_params["plot_settings"]["dpi"] == 72 and len(plan_params["experiment_groups"]) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "a/b", "datasets": ["a.csv"]}, "invalid experiment group name 'a/b'"),
    ({"name": "..", "datasets": ["a.csv"]}, "invalid experiment group name"),
    ({"name": "g", "datasets": []}, "datasets must be a non-empty list"),
    ({"name": "g", "datasets": "a.csv"}, "datasets must be a non-empty list"),
    ({"name": "g", "datasets": [("a.db",)]}, "invalid dataset"),
    ({"name": "g", "datasets": ["/etc/passwd"]}, "must be relative"),
    ({"name": "g", "datasets": ["../x.csv"]}, "must be relative"),
    ({"name": "g", "datasets": ["a.csv", "a.csv"]}, "dataset listed twice: a.csv"),
    ({"name": "g", "datasets": ["a.csv"], "data_config": {"tst_size": 0.1}}, "unknown DataManager parameter"),
    ({"name": "g", "datasets": ["a.csv"], "workflow": "x/y"}, "invalid workflow name"),
    ({"name": "g", "datasets": ["a.csv"], "algorithms": []}, "algorithms must be a non-empty list"),
])
def test_group_errors(kwargs, message):
    with pytest.raises(RerunError, match=message):
        config().add_experiment_group(**kwargs)


def test_duplicate_and_empty():
    c = config()
    with pytest.raises(RerunError, match="no experiment groups"):
        c.build()
    c.add_experiment_group(name="g", datasets=["a.csv"])
    with pytest.raises(RerunError, match="experiment group 'g' added twice"):
        c.add_experiment_group(name="g", datasets=["b.csv"])
