"""Every public result object is pleasant and safe in Jupyter (issue 14).

The result classes are found by introspection of ``analysis.__all__`` and ``mapper.__all__`` (every frozen
dataclass there, less the configuration-like classes in :data:`NOT_RESULTS`), so a new result class that
lacks an instance here, a rendering, a table or a figure fails this file. Instances are real: built from
the planted-truth sample log, around the session's one ``analyze()`` run.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from types import MappingProxyType

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import analysis
import mapper

#: Frozen dataclasses exported beside the results that are not results of an analysis, and why.
NOT_RESULTS = {
    "ColumnMapping": "configuration: the mapping a user declares (or detect_mapping proposes) for a file",
    "DetectedMapping": "configuration too: the ColumnMapping proposed for a file, with notes (it renders "
    "itself and has to_frame, but there is nothing to plot)",
    "MappingProposal": "configuration too: the columns proposed for a file's headers while the user is "
    "still mapping them in the app (with what is missing and why); nothing is computed from events",
    "Output": "a descriptor of an output file (name, media type, renderer), not something computed",
}

MUTABLE = (dict, list, set, pd.DataFrame, pd.Series, np.ndarray)


def _exported_classes() -> dict[str, type]:
    out = {}
    for package in (analysis, mapper):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and name not in NOT_RESULTS:
                out[name] = obj
    return out


RESULT_CLASSES = _exported_classes()


def _instances(log, f) -> dict[str, object]:
    """One instance of every result class from ``log`` and its findings ``f`` (cheap settings)."""
    split = analysis.split_log(log)
    plan = analysis.build_monitoring_plan(f, resamples=500)
    worst = f.bottlenecks.activities["activity"].head(3).tolist()
    t = log.table()
    few_cases = t.filter(t.case_id.isin(t.case_id.execute().unique()[:3].tolist())).to_pandas()
    built = {
        "Findings": f,
        "Verdict": f.verdict,
        "Bottlenecks": f.bottlenecks,
        "Readiness": f.readiness,
        "Blueprint": f.blueprint,
        "HandoffFailures": f.handoff_failures,
        "HandoverNetwork": analysis.handover_network(log, level="role"),
        "Impact": f.impact,
        "MonitoringPlan": plan,
        "BaselineComparison": analysis.compare_to_baseline(plan, log),
        "Profile": analysis.load_profile(),
        "ProcessRanking": analysis.rank_processes([split.before, split.after], names=["before", "after"]),
        "Comparison": analysis.compare_logs(split.before, split.after, resamples=500),
        "LogMeasures": analysis.measure_log(log, resamples=500),
        "LogSplit": split,
        "WaitingCauses": analysis.find_waiting_causes(log),
        "WorkingCalendars": analysis.discover_calendars(log),
        "PerformanceSpectrum": f.performance.spectrum,
        "WaitingDrift": f.performance.drift,
        "WaitDrivers": f.performance.drivers,
        "SlaBreaches": analysis.find_sla_breaches(log, targets={a: 24.0 for a in worst}),
        "Performers": f.performers,
        "DiscoveredRoles": analysis.discover_roles(log),
        "Decisions": analysis.mine_decisions(log),
        "OrchestrationGate": f.gate,
        "DirectlyFollowsGraph": f.dfg,
        "ProcessModel": f.model,
        "DataQuality": f.quality,
        "EventLog": log,
        "StartTimeEstimate": mapper.estimate_start_times(few_cases.drop(columns=["start_timestamp"])),
        "Pseudonymised": mapper.pseudonymise_events(log.events, b"k" * 32, ["case_id", "resource"]),
    }
    for name, value in built.items():
        assert isinstance(value, RESULT_CLASSES[name]), name
    return built


@pytest.fixture(scope="module")
def results(sample_log, sample_findings) -> dict[str, object]:
    """One real instance of every result class, from the sample log (the session's ``analyze()`` run)."""
    return _instances(sample_log, sample_findings)


#: Names full of markup (as in test_hostile_names.py); none may reach a chart as live markup.
HOSTILE_ACTIVITIES = ["<b>bold</b>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '&amp; "q"']
HOSTILE_RESOURCES = ["<i>ann</i>", "bob & <u>co</u>", "<a href='x'>eve</a>"]
HOSTILE_MARKERS = ("<b>bold", "<script", "<img", "<i>ann", "<u>co", "<a href", "<b>team", "<i>web", "<b>c")


@pytest.fixture(scope="module")
def hostile_results() -> dict[str, object]:
    """Every result class again, from 80 cases whose activities, resources, teams, case ids and a case
    attribute are markup."""
    rng = np.random.default_rng(0)
    rows = []
    t0 = pd.Timestamp("2024-01-01 08:00")
    acts = HOSTILE_ACTIVITIES
    for c in range(80):
        t = t0 + pd.Timedelta(hours=int(rng.integers(0, 1500)))
        path = acts if c % 3 else [acts[0], acts[1], acts[0], acts[1], acts[2], acts[3]]
        for i, a in enumerate(path):
            start = t + pd.Timedelta(minutes=int(rng.integers(5, 600)))
            end = start + pd.Timedelta(minutes=int(rng.integers(5, 90)))
            team, channel = ["<b>team</b>", "ops"][i % 2], ["<i>web</i>", "post"][c % 2]
            rows.append((f"<b>c{c}</b>", a, start, end, HOSTILE_RESOURCES[(c + i) % 3], team, channel))
            t = end
    columns = ["case_id", "activity", "start", "end", "resource", "role", "channel"]
    log = mapper.load_event_log(pd.DataFrame(rows, columns=columns), timestamp="end", start_timestamp="start")
    return _instances(log, analysis.analyze(log, impact="analytical", sensitivity=False))


def test_every_result_class_has_an_instance_here(results):
    missing = sorted(set(RESULT_CLASSES) - set(results))
    assert not missing, f"add a real instance of {missing} to the `results` fixture"


def test_result_classes_are_frozen():
    thawed = [n for n, c in RESULT_CLASSES.items() if not c.__dataclass_params__.frozen]
    assert not thawed


@pytest.mark.parametrize("name", sorted(RESULT_CLASSES))
def test_renders_itself_as_html_with_content(results, name):
    text = results[name]._repr_html_()
    assert isinstance(text, str)
    assert "<" in text and len(text) > 80, text
    # Real content, not only markup: some words or numbers outside the tags.
    import re

    words = re.sub(r"<[^>]+>", " ", text)
    assert len(re.findall(r"\w{3,}", words)) >= 3, text


@pytest.mark.parametrize("name", sorted(RESULT_CLASSES))
def test_to_frame_is_a_non_empty_table(results, name):
    frame = results[name].to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) and len(frame.columns)


@pytest.mark.parametrize("name", sorted(RESULT_CLASSES))
def test_plot_is_an_escaped_plotly_figure_with_data(results, name):
    fig = results[name].plot()
    assert isinstance(fig, go.Figure)
    assert len(fig.data) and any(_has_points(t) for t in fig.data), name
    # Escaped as every chart is: no raw '<' in a data-derived text (analysis.escape.escape_figure).
    for trace in fig.data:
        if trace.type == "table":
            cells = [v for column in trace.cells.values for v in column]
            assert not any(isinstance(v, str) and "<" in v for v in cells), name
            continue
        for prop in ("x", "y", "text", "hovertext", "labels", "name"):
            if prop in trace and trace[prop] is not None:
                values = [trace[prop]] if isinstance(trace[prop], str) else list(np.ravel(trace[prop]))
                assert not any(isinstance(v, str) and "<" in v for v in values), (name, prop)


@pytest.mark.parametrize("name", sorted(RESULT_CLASSES))
def test_names_full_of_markup_never_reach_a_chart_or_a_rendering_as_markup(hostile_results, name):
    result = hostile_results[name]
    texts = list(_strings(result.plot().to_plotly_json()))
    live = sorted({m for m in HOSTILE_MARKERS for t in texts if m in t})
    assert not live, (name, live)
    rendered = result._repr_html_()
    assert not [m for m in HOSTILE_MARKERS if m in rendered], name


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple | np.ndarray):
        for v in value:
            yield from _strings(v)


def _has_points(trace) -> bool:
    for prop in ("x", "y", "z", "values", "labels", "r", "source"):
        if prop in trace and trace[prop] is not None and len(trace[prop]):
            return True
    if trace.type == "table":
        return bool(len(trace.cells.values) and len(trace.cells.values[0]))
    return False


# --- immutability ------------------------------------------------------------------------------------


def _mutables(value, results: tuple, seen: set, depth: int = 0):
    """The mutable objects (dict, list, set, frame, array) reachable from ``value`` without entering another
    result object or an engine handle."""
    if id(value) in seen or depth > 8:
        return
    seen.add(id(value))
    if isinstance(value, MUTABLE):
        yield value
    if isinstance(value, pd.DataFrame):  # cells holding lists or dicts (a blueprint step's retry policy)
        for column in value.columns:
            if value[column].dtype == object:
                for cell in value[column]:
                    yield from _mutables(cell, results, seen, depth + 1)
        return
    if isinstance(value, pd.Series | np.ndarray):
        return
    if isinstance(value, dict | MappingProxyType):
        for v in value.values():
            yield from _mutables(v, results, seen, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _mutables(v, results, seen, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        if depth and isinstance(value, results):
            return
        for f in dataclasses.fields(value):
            if f.name == "store":  # EventLog's engine handle: a cache by design, not a value
                continue
            yield from _mutables(getattr(value, f.name), results, seen, depth + 1)


def _module_mutables() -> dict[int, str]:
    out = {}
    for modname, module in list(sys.modules.items()):
        if not modname.startswith(("analysis.", "mapper.")):
            continue
        for attr, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == modname:  # class-level tables too
                for name, member in vars(value).items():
                    if not (name.startswith("__") or callable(member) or isinstance(member, property)):
                        for leaf in _mutables(member, (), set()):
                            out[id(leaf)] = f"{modname}.{attr}.{name}"
                continue
            if inspect.ismodule(value) or inspect.isclass(value) or callable(value):
                continue
            for leaf in _mutables(value, (), set()):
                out[id(leaf)] = f"{modname}.{attr}"
    return out


def test_no_result_shares_a_module_level_mutable(results):
    constants = _module_mutables()
    classes = tuple(RESULT_CLASSES.values())
    shared = []
    for name, result in results.items():
        for leaf in _mutables(result, classes, set()):
            if id(leaf) in constants:
                shared.append(f"{name} holds {constants[id(leaf)]} ({type(leaf).__name__})")
    assert not shared, shared


def test_no_two_results_share_a_mutable_value(results):
    classes = tuple(RESULT_CLASSES.values())
    owner: dict[int, str] = {}
    shared = []
    distinct = {id(r): (n, r) for n, r in results.items()}  # a result reached twice is walked once
    for name, result in distinct.values():
        for leaf in _mutables(result, classes, set()):
            if id(leaf) in owner and owner[id(leaf)] != name:
                shared.append(f"{name} and {owner[id(leaf)]} share a {type(leaf).__name__}")
            owner[id(leaf)] = name
    assert not shared, shared


def test_changing_a_result_does_not_change_a_fresh_one(sample_log):
    """Mutating what one result exposes leaves the next result of the same call (and the constants) as
    they were."""
    first = analysis.load_profile()
    before = first.to_dict()
    again = analysis.load_profile()
    for field in dataclasses.fields(again):
        value = getattr(again, field.name)
        if isinstance(value, dict):
            value.clear()
        elif isinstance(value, list):
            value.append("changed")
    assert analysis.load_profile().to_dict() == before


# --- no tuple returns --------------------------------------------------------------------------------


def _public_callables():
    """Every public function of ``analysis.__all__`` and ``mapper.__all__``, the public methods of the
    classes there, and the public functions of the packages' public modules."""
    seen = {}
    for package in (analysis, mapper):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isfunction(obj):
                seen[f"{package.__name__}.{name}"] = obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr not in ("__init__",):
                        continue
                    if isinstance(member, staticmethod | classmethod):
                        member = member.__func__
                    if isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member):
                        seen[f"{package.__name__}.{name}.{attr}"] = member
    for modname, module in list(sys.modules.items()):
        if not modname.startswith(("analysis.", "mapper.")) or any(
            p.startswith("_") for p in modname.split(".")
        ):
            continue
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != modname:
                continue
            if inspect.isfunction(obj):
                seen.setdefault(f"{modname}.{attr}", obj)
            elif inspect.isclass(obj):  # public classes of public modules: their public methods
                for name, member in vars(obj).items():
                    if isinstance(member, staticmethod | classmethod):
                        member = member.__func__
                    if isinstance(member, property):
                        member = member.fget
                    if not name.startswith("_") and inspect.isfunction(member):
                        seen.setdefault(f"{modname}.{attr}.{name}", member)
    return seen


def _returns_tuple(fn) -> bool:
    """True when ``fn`` returns several values packed in a tuple (``tuple[A, B]``, bare ``tuple``).

    A homogeneous ``tuple[X, ...]`` is one value, an immutable sequence (e.g. the parameters an error
    names), not a tuple return to unpack.
    """
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: read the annotation text
        text = str(inspect.signature(fn).return_annotation).replace(" ", "")
        return text.startswith(("tuple", "Tuple", "typing.Tuple")) and not text.endswith(",...]")
    ret = hints.get("return")
    if ret is None:
        return False
    if ret is tuple:
        return True
    if typing.get_origin(ret) is not tuple:
        return False
    args = typing.get_args(ret)
    return not (len(args) == 2 and args[1] is Ellipsis)


def test_no_public_function_returns_a_tuple():
    import importlib
    import pkgutil

    for package in (analysis, mapper):  # load every public module, so that their functions are inspected
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(p.startswith("_") for p in info.name.split(".")):
                importlib.import_module(info.name)
    offenders = sorted(name for name, fn in _public_callables().items() if _returns_tuple(fn))
    assert not offenders, offenders
