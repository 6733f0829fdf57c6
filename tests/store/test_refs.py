"""RunRef and TagMessage: the one owner of run ref names and run messages (round-trip properties)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rerun_git.errors import RerunError
from rerun_git.store.refs import RefSettings, RunRef, TagMessage

NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,30}", fullmatch=True)
PREFIXES = st.sampled_from(["run/", "exp/runs/", "a.b/"])
BRANCHES = st.sampled_from(["rerun/runs", "runs", "team/rerun.runs"])
ONE_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
METRIC_NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="="), min_size=1, max_size=20)
BODY_LINES = st.lists(ONE_LINE.filter(lambda line: not line.lstrip().startswith("Rerun-")), max_size=4)


@given(NAMES, PREFIXES, BRANCHES)
def test_a_run_ref_parses_back_from_each_of_its_spellings(name: str, prefix: str, branch: str) -> None:
    settings = RefSettings(tag_prefix=prefix, branch=branch)
    ref = RunRef(name, settings)
    assert ref.tag == prefix + name and ref.ref == "refs/tags/" + prefix + name
    for spelling in (name, ref.tag, ref.ref):
        assert RunRef.parse(spelling, settings) == ref
    assert RunRef.from_ref(ref.ref, settings) == ref
    assert RunRef.from_ref(f"refs/heads/{branch}", settings) is None
    assert settings.branch_ref == f"refs/heads/{branch}" and settings.is_runs_branch(settings.branch_ref)
    assert settings.is_runs_branch(settings.tracking_ref("origin"))


@pytest.mark.parametrize("bad", ["", "-x", "a..b", "a.lock", "a b", "x/y", "a\nb", "é"])
def test_a_run_ref_refuses_names_that_are_not_safe_refs(bad: str) -> None:
    with pytest.raises(RerunError):
        RunRef(bad)
    with pytest.raises(RerunError):
        RunRef.parse("run/" + bad)


@given(
    name=NAMES,
    headline=ONE_LINE,
    source=st.one_of(st.none(), st.from_regex(r"[0-9a-f]{40}|[0-9a-f]{64}", fullmatch=True)),
    dirty=st.booleans(),
    version=st.from_regex(r"[0-9]+\.[0-9]+\.[0-9]+", fullmatch=True),
    body=BODY_LINES,
    metrics=st.dictionaries(METRIC_NAMES.map(str.strip).filter(bool),
                            st.floats(allow_nan=False), max_size=5),
    primary=st.one_of(st.none(), st.tuples(st.from_regex(r"[A-Za-z0-9_:.]{1,12}", fullmatch=True), st.booleans())),
)
def test_a_tag_message_parses_back_to_itself(name, headline, source, dirty, version, body, metrics, primary) -> None:
    message = TagMessage(name, headline.strip(), source, dirty, version, "\n".join(body).strip("\n"), metrics, primary)
    assert TagMessage.parse(message.format()) == message
    commit = TagMessage.parse(message.format(with_metrics=False))
    assert commit is not None and commit.metrics == {} and commit.primary is None and commit.subject == message.subject


def test_a_tag_message_reads_the_last_value_of_each_trailer_and_skips_bad_metrics() -> None:
    text = ("run n: MAE=1\n\nbody line\n\nRerun-Source: abc\nRerun-Dirty: yes\nRerun-Version: 0.1.0\n"
            "Rerun-Metric: MAE=1.0\nRerun-Metric: R2=oops\nRerun-Metric: R2=0.5\nRerun-Source: def\n")
    parsed = TagMessage.parse(text)
    assert parsed == TagMessage("n", "MAE=1", "def", True, "0.1.0", "body line", {"MAE": 1.0, "R2": 0.5})
    assert TagMessage.parse("run n: MAE=1\n\nRerun-Source: abc\n") is None, "no Rerun-Version: not a run"


@pytest.mark.parametrize("field, value", [("message", "x\nRerun-Metric: MAE=0"), ("headline", "a\nb"),
                                          ("name", "a\nb")])
def test_a_tag_message_refuses_to_write_what_would_not_parse_back(field: str, value: str) -> None:
    message = TagMessage(**{"name": "n", "headline": "h", "source": None, "dirty": False, "version": "1", field: value})
    with pytest.raises(ValueError):
        message.format()
    with pytest.raises(ValueError):
        TagMessage("n", "h", None, False, "1", metrics={"a=b": 1.0}).format()
