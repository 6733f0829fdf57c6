"""Write the reference projects' small datasets (run by make_fixtures.py; the CSVs are committed)."""
from __future__ import annotations

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes

#: dataset file -> the projects that use it
USES = {
    "diabetes.csv": ["template_regression", "reg_shuffle", "reg_kfold_seeded", "reg_kfold_unseeded", "adjusted_r2",
                     "multi_algorithm"],
    "cancer.csv": ["template_classification", "cls_stratified", "cls_kfold", "scaling_twice"],
    "grouped.csv": ["group_kfold"],
    "mixed.csv": ["preprocess"],
    "detect.csv": ["split_stats"],
    "coded.csv": ["split_stats"],
}


def frames() -> dict[str, object]:
    diabetes = load_diabetes(as_frame=True).frame.iloc[:120].round(6)
    cancer = load_breast_cancer(as_frame=True).frame
    cancer = cancer[[*cancer.columns[:6], "target"]].iloc[:150].round(6)
    grouped = diabetes.copy()
    grouped.insert(len(grouped.columns) - 1, "site", [f"s{i % 6}" for i in range(len(grouped))])
    mixed = diabetes.copy()
    mixed.loc[mixed.index % 7 == 3, "bmi"] = None
    detect = diabetes.copy()  # sex as 1/2 and a three-valued band: low-cardinality columns Brisk detects
    detect["sex"] = (detect["sex"] > 0).astype(int) + 1
    detect.insert(2, "band", [i % 3 for i in range(len(detect))])
    coded = detect.drop(columns="band")
    coded.insert(1, "colour", [("red", "green", "blue", "red")[i % 4] for i in range(len(coded))])
    return {"diabetes.csv": diabetes, "cancer.csv": cancer, "grouped.csv": grouped, "mixed.csv": mixed,
            "detect.csv": detect, "coded.csv": coded}


def main(projects: Path) -> None:
    data = frames()
    for name, users in USES.items():
        for project in users:
            folder = projects / project / "datasets"
            if folder.parent.is_dir():
                folder.mkdir(exist_ok=True)
                data[name].to_csv(folder / name, index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
