"""Decision mining: which attributes decide where a case goes after a decision point, as readable rules.

For every decision point, the engine builds one row per instance of the step with the case and event
attributes known *before* it and the outcome (the next activity, or the end of the case); a depth-limited
CART tree (scikit-learn) is cross-validated on it, scored as *rule-determinism*, and its leaves are
written as gateway conditions in plain words and in a machine-readable form. The same table answers the
equity question: do the outcomes, or the waiting before the step, differ between the groups of a
sensitive case attribute?
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.escape import escape_figure
from analysis.profile import Profile, load_profile
from analysis.queries.readiness import (
    END,
    LEAKY_NAME,
    attribute_summary,
    decision_instances,
    neighbour_counts,
)
from analysis.stats import adjust_p_values
from mapper.engine import execute
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: The name of the feature counting earlier occurrences of the step in the case.
TIMES_BEFORE = "times_before"
#: Outcomes below the decision-point share are pooled under this class name.
OTHER = "(other)"
#: A free-text column: not numeric, at least this many spaces per value on average (five words) ...
TEXT_MIN_SPACES = 4.0
#: ... and at least this share of distinct values among its values.
TEXT_MIN_DISTINCT = 0.5
#: A column whose value is fixed by the activity in at least this share of its events describes the
#: step (its name in another language, its code), not the case: it is not a decision feature.
STEP_CONSTANT = 0.95
#: A column constant within at least this share of cases, present on at least ``CASE_PRESENT`` of the
#: events, is a case attribute (its value is known from the start of the case).
CASE_CONSTANT, CASE_PRESENT = 0.99, 0.90
#: ... or when knowing the activity removes at least this share of the errors in guessing its value
#: (Goodman & Kruskal's lambda): BPIC 2015's English activity names, which vary a little per code.
STEP_LAMBDA = 0.8

RULE_COLUMNS = ["activity", "rule", "conditions", "outcome", "support", "correct", "precision", "text"]
POINT_COLUMNS = [
    "activity",
    "instances",
    "sampled",
    "outcomes",
    "majority_outcome",
    "majority_share",
    "accuracy",
    "determinism",
    "folds",
    "features",
    "attributes_used",
    "note",
]
EQUITY_COLUMNS = [
    "activity",
    "attribute",
    "test",
    "method",
    "groups",
    "counts",
    "rates",
    "outcome",
    "low_group",
    "high_group",
    "disparity_ratio",
    "statistic",
    "p_value",
    "p_holm",
    "significant",
    "flagged",
]


@dataclass(frozen=True)
class Decisions:
    """Decision points, how well data attributes determine them, and their learned rules.

    Attributes
    ----------
    points : pandas.DataFrame
        One row per decision point analysed: ``activity`` (str), ``instances`` (int64, in the log),
        ``sampled`` (int64, rows the tree saw: all instances up to ``max_instances``), ``outcomes``
        (dict: outcome -> share of the instances), ``majority_outcome`` (str), ``majority_share``
        (float), ``accuracy`` (float, cross-validated, NaN when it could not be measured),
        ``determinism`` (float in [0, 1], ``max(0, (accuracy - majority_share) / (1 -
        majority_share))``; NaN when unknown), ``folds`` (int), ``features`` (int, columns after
        one-hot encoding), ``attributes_used`` (list of str: attributes in the rules), ``note`` (str:
        why determinism is unknown, or "").
    rules : pandas.DataFrame
        One row per leaf of each fitted tree (siblings with the same outcome merged), most supported
        first: ``activity``, ``rule`` (int, 1-based within the activity), ``conditions`` (list of dict:
        ``attribute``, ``operator`` (``<``, ``>=``, ``<=``, ``>``, ``==``, ``!=``, ``in``, ``not in``,
        ``is missing``, ``is not missing``), ``value`` (number, str or list), ``or_missing`` (bool)),
        ``outcome`` (str),
        ``support`` (int64, instances reaching the leaf), ``correct`` (int64, of them going to
        ``outcome``), ``precision`` (float), ``text`` (str, e.g. ``"documents_submitted < 4 -> Request
        further information (312 of 312)"``).
    equity : pandas.DataFrame
        One row per (decision point, sensitive attribute, test); empty without ``equity_attributes``.
        See :func:`find_equity_gaps`.
    features : pandas.DataFrame
        The attribute columns and what became of them: ``name``, ``role`` (``"case"`` or ``"event"``),
        ``numeric`` (bool), ``use`` (``"feature"``, or why not: ``"free text"``, ``"describes the
        step"``, ``"identifier"``, ``"trace label"``, ``"date"`` (text that reads as dates),
        ``"constant"``, ``"sensitive"``).
    profile : dict
        The ``measurement`` and ``equity`` sections used.
    """

    points: pd.DataFrame
    rules: pd.DataFrame
    equity: pd.DataFrame
    features: pd.DataFrame
    profile: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The decision points (a copy)."""
        return self.points.copy()

    def rules_for(self, activity: str) -> pd.DataFrame:
        """The rules of one decision point (a copy); empty when it has none."""
        return self.rules[self.rules["activity"] == activity].reset_index(drop=True)

    def plot(self):
        """A plotly bar chart: rule-determinism of each decision point (names escaped)."""
        import plotly.graph_objects as go

        d = self.points.dropna(subset=["determinism"]).sort_values("determinism")
        fig = go.Figure(
            go.Bar(
                x=d["determinism"],
                y=[html.escape(a) for a in d["activity"]],
                orientation="h",
                customdata=np.stack([d["majority_share"], d["accuracy"]], axis=-1) if len(d) else None,
                hovertemplate="%{y}<br>determinism %{x:.2f}<br>majority %{customdata[0]:.0%}, "
                "accuracy %{customdata[1]:.0%}<extra></extra>",
            )
        )
        fig.update_layout(
            title="How well the data decide each decision point (rule-determinism)",
            xaxis={
                "title": {"text": "rule-determinism (0 = guess the majority, 1 = a rule decides)"},
                "range": [0, 1],
            },
            height=160 + 26 * len(d),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        pts = self.points[["activity", "instances", "majority_share", "determinism", "note"]]
        return (
            "<b>Decision points</b>"
            + pts.to_html(index=False, escape=True)
            + "<b>Rules</b>"
            + self.rules[["activity", "text", "precision"]].to_html(index=False, escape=True)
        )


def decision_outcomes(log: EventLog, *, min_share: float = 0.1) -> pd.DataFrame:
    """Where each activity's cases go next, and which activities are decision points.

    A **decision point** is an activity with at least two outcomes other than itself (the next
    activity, or the end of the case) that each take at least ``min_share`` of its outflow; a step
    directly repeated (several instances in a row) counts in the outflow but is not a branch.

    Parameters
    ----------
    log : EventLog
    min_share : float, default 0.1
        The share of the outflow an outcome needs to count as a branch.

    Returns
    -------
    pandas.DataFrame
        One row per (activity, outcome): ``activity``, ``outcome`` (str, :data:`END` for the case
        end), ``n`` (int64), ``share`` (float, of the activity's outflow), ``branch`` (bool),
        ``decision_point`` (bool, the same for every row of an activity).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> out = decision_outcomes(load_event_log("sample_logs/council_permits.csv"))
    >>> bool(out.loc[out["activity"] == "Decide application", "decision_point"].all())
    True
    """
    n = execute(neighbour_counts(log.tables().ordered))
    return _outcomes(n[n["direction"] == "succ"], min_share)


def _outcomes(succ: pd.DataFrame, min_share: float) -> pd.DataFrame:
    d = succ.rename(columns={"neighbour": "outcome"})[["activity", "outcome", "n"]].copy()
    d["share"] = d["n"] / d.groupby("activity")["n"].transform("sum")
    d["branch"] = (d["share"] >= min_share) & (d["outcome"] != d["activity"])
    d["decision_point"] = d.groupby("activity")["branch"].transform("sum") >= 2
    return d.sort_values(["activity", "n", "outcome"], ascending=[True, False, True], ignore_index=True)


def mine_decisions(
    log: EventLog,
    *,
    activities: list[str] | None = None,
    profile: Profile | None = None,
    equity_attributes: tuple[str, ...] | list[str] = (),
) -> Decisions:
    """Learn, for each decision point, the rule that decides where a case goes, and how well it does.

    For each decision point (:func:`decision_outcomes`), the engine builds one row per instance with the
    case attributes, the last value of each event attribute recorded *before* the instance, and the number
    of earlier occurrences of the step in the case (:data:`TIMES_BEFORE`); the outcome is the next
    activity or the case end, outcomes below the decision-point share pooled as :data:`OTHER`. Above
    ``measurement.max_instances`` instances a deterministic sample is used. Categorical attributes are
    one-hot encoded (the ``measurement.max_levels`` most frequent levels; the rest pooled as "other",
    missing as "missing"); numeric ones keep their missing values, which CART sends down the better side.
    Left out: timestamps (and text that reads as dates), free-text columns (more than four spaces per
    value on average and mostly distinct), identifiers (a categorical with more distinct values than half
    of its cases), columns that describe the step itself (fixed by the activity in 95 % of their events,
    or nearly fixed by it: Goodman & Kruskal's lambda of the value given the activity at least 0.8; e.g.
    the activity's name in another language), trace labels (names matching :data:`LEAKY_NAME`: variant,
    cluster), and the sensitive attributes (a rule must not decide on them).

    A depth-limited tree (``measurement.tree_max_depth``, leaves of at least 1 % of the rows and at
    least 5) is scored by stratified k-fold cross-validation (``measurement.cv_folds``, shuffled with
    a fixed seed): ``determinism = max(0, (accuracy - majority share) / (1 - majority share))``, 0 when
    the attributes do no better than always guessing the most common outcome, 1 when they decide it
    exactly. The rules come from the tree fitted on all rows.

    Parameters
    ----------
    log : EventLog
    activities : list of str, optional
        The steps to analyse; default every decision point. A name that is not an activity raises.
    profile : Profile, optional
        Default :func:`analysis.profile.load_profile` ``()``; its ``measurement`` and ``equity``
        sections are used.
    equity_attributes : sequence of str
        Case attributes to check for equity (:func:`find_equity_gaps`); none by default.

    Returns
    -------
    Decisions

    Raises
    ------
    AnalysisError
        When an ``activities`` name is not an activity of the log, or an ``equity_attributes`` name is
        not an attribute column of the log (the message lists them).

    References
    ----------
    Rozinat & van der Aalst (2006), "Decision Mining in ProM", BPM 2006, LNCS 4102, pp. 420-425
    (decision points and the attributes known before them, classified with decision trees);
    Breiman, Friedman, Olshen & Stone (1984), *Classification and Regression Trees*, Wadsworth (CART,
    the trees of scikit-learn); Kohavi (1995), "A study of cross-validation and bootstrap for accuracy
    estimation and model selection", IJCAI (stratified k-fold).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> d = mine_decisions(load_event_log("sample_logs/council_permits.csv"))
    >>> "Decide application" in set(d.points["activity"])
    True
    """
    profile = profile or load_profile()
    meas, eq = profile["measurement"], profile["equity"]
    o = log.tables().ordered
    n = execute(neighbour_counts(o))
    outs = _outcomes(n[n["direction"] == "succ"], meas["decision_min_share"])
    known = set(n["activity"])
    if activities is None:
        acts = sorted(outs.loc[outs["decision_point"], "activity"].unique())
    else:
        unknown = [a for a in activities if a not in known]
        if unknown:
            raise AnalysisError(
                f"activities names {unknown}, which are not activities of the log; activities: "
                f"{sorted(known)[:30]}."
            )
        acts = list(dict.fromkeys(activities))
    summary = attribute_summary(log)
    sensitive = list(dict.fromkeys(equity_attributes))
    feats = classify_attributes(
        summary, n_events=log.n_events, max_levels=meas["max_levels"], sensitive=sensitive
    )
    missing = [a for a in sensitive if a not in set(feats["name"])]
    if missing:
        raise AnalysisError(
            f"`equity_attributes` names {missing}, which are not attribute columns of the log; "
            f"attributes: {feats['name'].tolist()}."
        )
    if not acts:
        return Decisions(
            pd.DataFrame(columns=POINT_COLUMNS),
            pd.DataFrame(columns=RULE_COLUMNS),
            pd.DataFrame(columns=EQUITY_COLUMNS),
            feats.drop(columns=["engine"]),
            {"measurement": meas, "equity": eq},
        )
    used = feats[(feats["use"] == "feature") | feats["name"].isin(sensitive)]
    case_cols = used.loc[used["role"] == "case", "engine"].tolist()
    event_cols = used.loc[used["role"] == "event", "engine"].tolist()
    table = execute(decision_instances(log, acts, case_cols, event_cols, int(meas["max_instances"])))
    # The engine returns rows in no set order; the folds (shuffled with a fixed seed) need one.
    table = table.sort_values(["activity", "row_nr"], ignore_index=True)
    names = dict(zip(feats["engine"], feats["name"], strict=True))
    numeric = dict(zip(feats["name"], feats["numeric"], strict=True))
    table = table.rename(columns=names)
    totals = outs.groupby("activity")["n"].sum()
    feature_names = [names[c] for c in case_cols + event_cols if names[c] not in sensitive]

    points, rules = [], []
    for act in acts:
        rows = table[table["activity"] == act]
        branches = set(
            outs.loc[(outs["activity"] == act) & (outs["share"] >= meas["decision_min_share"]), "outcome"]
        )
        point, leaf_rules = _mine_one(
            act, rows, branches, feature_names, numeric, meas, int(totals.get(act, 0))
        )
        points.append(point)
        rules.extend(leaf_rules)
    equity = (
        _equity(table, acts, outs, sensitive, numeric, eq, meas["decision_min_share"])
        if sensitive
        else pd.DataFrame(columns=EQUITY_COLUMNS)
    )
    return Decisions(
        pd.DataFrame(points, columns=POINT_COLUMNS),
        pd.DataFrame(rules, columns=RULE_COLUMNS),
        equity,
        feats.drop(columns=["engine"]),
        {"measurement": meas, "equity": eq},
    )


def classify_attributes(
    summary: pd.DataFrame, *, n_events: int, max_levels: int = 20, sensitive: list[str] | None = None
) -> pd.DataFrame:
    """Decide for each attribute column whether it is a decision feature, and whether it is case-level.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`analysis.queries.readiness.attribute_summary`.
    n_events : int
        Events in the log.
    max_levels : int
        A categorical with at most this many values is never taken for an identifier.
    sensitive : list of str, optional
        Names of sensitive attributes: never features.

    Returns
    -------
    pandas.DataFrame
        ``engine``, ``name`` (str), ``role`` (``"case"``/``"event"``), ``numeric`` (bool), ``free_text``
        (bool), ``use`` (str: ``"feature"`` or the reason it is not one).
    """
    cols = ["engine", "name", "role", "numeric", "free_text", "use"]
    if summary.empty:
        return pd.DataFrame(columns=cols)
    s = summary
    sensitive = set(sensitive or ())
    case = (s["case_constant"] >= CASE_CONSTANT) & (s["values"] >= CASE_PRESENT * n_events)
    role = np.where(case, "case", "event")
    text = (
        (~s["numeric"])
        & (s["mean_spaces"] >= TEXT_MIN_SPACES)
        & (s["distinct"] >= TEXT_MIN_DISTINCT * s["values"])
    )
    base = np.where(case, s["cases_with_value"], s["values"])
    ident = (~s["numeric"]) & (s["distinct"] > max_levels) & (s["distinct"] > 0.5 * base)
    use = np.select(
        [
            s["name"].isin(sensitive),
            s["values"] == 0,
            s["distinct"] <= 1,
            s["name"].map(lambda x: bool(LEAKY_NAME.search(str(x)))),
            s["date"].astype(bool) if "date" in s else pd.Series(False, index=s.index),
            text,
            (s["step_constant"] >= STEP_CONSTANT) | (s["step_lambda"].fillna(0) >= STEP_LAMBDA),
            ident,
        ],
        [
            "sensitive",
            "constant",
            "constant",
            "trace label",
            "date",
            "free text",
            "describes the step",
            "identifier",
        ],
        default="feature",
    )
    code = s["code"].astype(bool) if "code" in s else pd.Series(False, index=s.index)
    return pd.DataFrame(
        {
            "engine": s["engine"],
            "name": s["name"],
            "role": role,
            # A code (a staff number) is a category: "== 560938", never ">= 560,938".
            "numeric": s["numeric"].astype(bool) & ~code,
            "free_text": text.astype(bool),
            "use": use,
        }
    )[cols]


def _encode(
    rows: pd.DataFrame, features: list[str], numeric: dict, max_levels: int
) -> tuple[pd.DataFrame, dict]:
    """One-hot categoricals (top levels), numbers as float with NaN; returns X and column -> (attr, level)."""
    rows = rows.reset_index(drop=True)
    # Columns that do not vary at this step (often most of a wide log's) are dropped first, in one pass.
    cols = [*features, TIMES_BEFORE]
    varying = rows[cols].nunique(dropna=False)
    cols = [c for c in cols if varying[c] > 1]
    parts, meta = [], {}
    for name in cols:
        col = rows[name]
        if name == TIMES_BEFORE or numeric.get(name, False):
            x = pd.to_numeric(col, errors="coerce").astype("float64")
            if x.nunique(dropna=False) <= 1:
                continue
            parts.append(x.rename(name))
            meta[name] = (name, None)
            continue
        v = col.astype("string").fillna("missing")
        counts = v.value_counts()
        # Most frequent first, ties by name: the same levels on every run.
        order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        keep = [k for k, _ in order[:max_levels]]
        if len(counts) > max_levels:
            v = v.where(v.isin(keep), "other")
        dummies = pd.get_dummies(v, prefix=name, prefix_sep="=", dtype="float64")
        parts.append(dummies)
        for key in dummies.columns:
            meta[key] = (name, key[len(name) + 1 :])
    x = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(len(rows)))
    return x, meta


def _mine_one(act, rows, branches, features, numeric, meas, instances) -> tuple[dict, list[dict]]:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier

    y = rows["outcome"].where(rows["outcome"].isin(branches), OTHER).reset_index(drop=True)
    counts = y.value_counts()
    folds_wanted = int(meas["cv_folds"])
    # An outcome too rare to appear in every fold (the pooled rest, usually) is left out of the tree.
    keep = counts[counts >= folds_wanted].index
    mask = y.isin(keep).to_numpy()
    y = y[mask].reset_index(drop=True)
    x, meta = _encode(rows.reset_index(drop=True), features, numeric, int(meas["max_levels"]))
    x = x[mask].reset_index(drop=True)
    shares = rows["outcome"].value_counts(normalize=True)
    point = {
        "activity": act,
        "instances": int(instances),
        "sampled": int(len(rows)),
        "outcomes": {str(k): round(float(v), 4) for k, v in shares.items()},
        "majority_outcome": None,
        "majority_share": float("nan"),
        "accuracy": float("nan"),
        "determinism": float("nan"),
        "folds": 0,
        "features": int(x.shape[1]),
        "attributes_used": [],
        "note": "",
    }
    if y.nunique() < 2:
        point["note"] = "fewer than two outcomes with enough instances to learn from"
        return point, []
    counts = y.value_counts()
    point["majority_outcome"] = str(counts.index[0])
    majority = float(counts.iloc[0] / len(y))
    point["majority_share"] = majority
    if x.shape[1] == 0:
        point["note"] = "no attribute known before the step varies: nothing to learn a rule from"
        point["determinism"] = 0.0
        point["accuracy"] = majority
        return point, [_root_rule(act, y)]
    folds = min(folds_wanted, int(counts.min()))
    min_leaf = max(5, math.ceil(0.01 * len(y)))
    tree = DecisionTreeClassifier(
        max_depth=int(meas["tree_max_depth"]), min_samples_leaf=min_leaf, random_state=0
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    pred = cross_val_predict(tree, x.to_numpy(), y.to_numpy(), cv=cv)
    acc = float((pred == y.to_numpy()).mean())
    point.update(
        accuracy=acc,
        determinism=max(0.0, (acc - majority) / (1 - majority)) if majority < 1 else 0.0,
        folds=folds,
    )
    tree.fit(x.to_numpy(), y.to_numpy())
    integer = {
        c: bool(np.all(np.equal(np.mod(x[c].dropna(), 1), 0))) for c in x.columns if meta[c][1] is None
    }
    has_missing = {c for c in x.columns if x[c].isna().any()}
    leaf_rules = _tree_rules(act, tree, list(x.columns), meta, integer, has_missing)
    point["attributes_used"] = sorted({c["attribute"] for r in leaf_rules for c in r["conditions"]})
    return point, leaf_rules


def _root_rule(act: str, y: pd.Series) -> dict:
    counts = y.value_counts()
    out, correct = str(counts.index[0]), int(counts.iloc[0])
    return {
        "activity": act,
        "rule": 1,
        "conditions": [],
        "outcome": out,
        "support": int(len(y)),
        "correct": correct,
        "precision": correct / len(y),
        "text": f"always → {out} ({correct:,} of {len(y):,})",
    }


def _tree_rules(act, tree, columns, meta, integer, has_missing) -> list[dict]:
    t = tree.tree_
    classes = tree.classes_
    left, right = t.children_left, t.children_right

    def label(node: int) -> int:
        return int(np.argmax(t.value[node][0]))

    # Collapse, bottom-up, a split whose two children are leaves predicting the same outcome.
    is_leaf = {i: left[i] == -1 for i in range(t.node_count)}

    def collapse(node: int) -> None:
        if is_leaf[node]:
            return
        collapse(left[node])
        collapse(right[node])
        if is_leaf[left[node]] and is_leaf[right[node]] and label(left[node]) == label(right[node]):
            is_leaf[node] = True

    collapse(0)
    out: list[dict] = []

    def walk(node: int, path: list[tuple]) -> None:
        if is_leaf[node]:
            n = int(t.n_node_samples[node])
            k = label(node)
            correct = int(round(float(t.value[node][0][k]) * n))
            conds = _merge_conditions(path, meta, integer)
            outcome = str(classes[k])
            text = " and ".join(_cond_text(c) for c in conds) or "always"
            out.append(
                {
                    "activity": act,
                    "conditions": conds,
                    "outcome": outcome,
                    "support": n,
                    "correct": correct,
                    "precision": correct / n if n else float("nan"),
                    "text": f"{text} → {outcome} ({correct:,} of {n:,})",
                }
            )
            return
        col = columns[t.feature[node]]
        thr = float(t.threshold[node])
        # Only a feature that had missing values in training routes them on purpose.
        miss_left = bool(t.missing_go_to_left[node]) if col in has_missing else None
        walk(left[node], [*path, (col, "le", thr, miss_left is True)])
        walk(right[node], [*path, (col, "gt", thr, miss_left is False)])

    walk(0, [])
    out.sort(key=lambda r: (-r["support"], r["outcome"]))
    for i, r in enumerate(out, 1):
        r["rule"] = i
    return out


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else float(f"{v:.4g}")


def _merge_conditions(path, meta, integer) -> list[dict]:
    """Merge the splits of one path into at most two bounds per number and one test per category."""
    nums: dict[str, dict] = {}
    cats: dict[str, dict] = {}
    order: list[str] = []
    for col, side, thr, missing in path:
        attr, level = meta[col]
        if attr not in order:
            order.append(attr)
        if level is None:
            d = nums.setdefault(
                attr, {"lo": None, "hi": None, "missing": True, "int": integer.get(col, False), "null": None}
            )
            if math.isinf(thr):  # CART's split of the missing values from all the others
                d["null"] = "present" if side == "le" else "missing"
                d["missing"] = d["missing"] and side == "gt"
                continue
            if side == "le":
                d["hi"] = thr if d["hi"] is None else min(d["hi"], thr)
            else:
                d["lo"] = thr if d["lo"] is None else max(d["lo"], thr)
            d["missing"] = d["missing"] and missing
        else:
            d = cats.setdefault(attr, {"eq": None, "ne": []})
            if side == "gt":
                d["eq"] = level
            else:
                d["ne"].append(level)
    conds: list[dict] = []
    for attr in order:
        if attr in nums:
            d = nums[attr]
            if d["null"] == "missing":
                conds.append({"attribute": attr, "operator": "is missing", "value": None, "or_missing": True})
                continue
            if d["null"] == "present":
                conds.append(
                    {"attribute": attr, "operator": "is not missing", "value": None, "or_missing": False}
                )
            for bound, op_int, op_real in (("lo", ">=", ">"), ("hi", "<", "<=")):
                thr = d[bound]
                if thr is None:
                    continue
                if d["int"]:
                    conds.append(
                        {
                            "attribute": attr,
                            "operator": op_int,
                            "value": int(math.ceil(thr)),
                            "or_missing": d["missing"],
                        }
                    )
                else:
                    conds.append(
                        {
                            "attribute": attr,
                            "operator": op_real,
                            "value": _num(thr),
                            "or_missing": d["missing"],
                        }
                    )
        else:
            d = cats[attr]
            if d["eq"] is not None:
                if d["eq"] == "missing":
                    conds.append(
                        {"attribute": attr, "operator": "is missing", "value": None, "or_missing": True}
                    )
                else:
                    conds.append({"attribute": attr, "operator": "==", "value": d["eq"], "or_missing": False})
            elif len(d["ne"]) == 1:
                conds.append(
                    {
                        "attribute": attr,
                        "operator": "!=",
                        "value": d["ne"][0],
                        "or_missing": d["ne"][0] != "missing",
                    }
                )
            else:
                conds.append(
                    {
                        "attribute": attr,
                        "operator": "not in",
                        "value": sorted(d["ne"]),
                        "or_missing": "missing" not in d["ne"],
                    }
                )
    return conds


def _cond_text(c: dict) -> str:
    a, op, v = c["attribute"], c["operator"], c["value"]
    if op in ("is missing", "is not missing"):
        return f"{a} {op}"
    if op in ("in", "not in"):
        s = f"{a} {op} {{{', '.join(map(str, v))}}}"
    else:
        s = f"{a} {op} {v:,}" if isinstance(v, int | float) else f"{a} {op} {v}"
    if c.get("or_missing") and op in ("<", ">=", "<=", ">"):
        s += " (or missing)"
    return s


# --- Equity -------------------------------------------------------------------------------------------


def find_equity_gaps(
    log: EventLog,
    attributes: tuple[str, ...] | list[str],
    *,
    activities: list[str] | None = None,
    profile: Profile | None = None,
) -> pd.DataFrame:
    """Do a decision's outcomes, or the waiting before it, differ between groups of a sensitive attribute?

    For each decision point and each attribute, the instances (as in :func:`mine_decisions`, the
    attribute's value known before the step) are grouped by the attribute's value (the
    ``equity.max_groups`` - 1 most common values and "other"; a numeric attribute with more values is
    cut into quartiles); groups with fewer than ``equity.min_group_cases`` instances are reported in
    ``counts`` but not compared. Two tests per (step, attribute):

    - ``outcome``: the rate of each branch per group; the disparity ratio is the lowest min/max rate
      ratio over the branches (the branch is named in ``outcome``: both the favourable and the adverse
      rate are checked, since the log does not say which is favourable); tested with a chi-square test
      of independence on the group x outcome table (Fisher's exact test on a 2 x 2 table with an
      expected count below 5).
    - ``waiting``: the median waiting hours before the step per group; the ratio is min/max median;
      Mann-Whitney U (two groups) or Kruskal-Wallis (more).

    p-values are Holm-adjusted over every test returned. A test is ``flagged`` when its adjusted
    p-value is below ``equity.alpha`` and its disparity ratio below ``equity.disparity_ratio`` (the
    four-fifths rule).

    Parameters
    ----------
    log : EventLog
    attributes : sequence of str
        Case attribute names (columns of the log) the user marks as sensitive.
    activities : list of str, optional
        Default every decision point.
    profile : Profile, optional

    Returns
    -------
    pandas.DataFrame
        One row per (activity, attribute, test): ``activity``, ``attribute`` (str), ``test``
        (``"outcome"`` or ``"waiting"``), ``method`` (str), ``groups`` (int, compared),
        ``counts`` (dict group -> instances, every group), ``rates`` (dict group -> rate of
        ``outcome``, or median waiting hours), ``outcome`` (str or None), ``low_group``, ``high_group``
        (str), ``disparity_ratio`` (float), ``statistic``, ``p_value``, ``p_holm`` (float),
        ``significant``, ``flagged`` (bool). Empty when no test could run.

    Raises
    ------
    AnalysisError
        As :func:`mine_decisions`.

    References
    ----------
    U.S. Equal Employment Opportunity Commission et al. (1978), *Uniform Guidelines on Employee
    Selection Procedures*, 29 CFR 1607.4(D) (the four-fifths rule); UK Equality Act 2010, s. 149
    (public sector equality duty); Holm (1979), "A simple sequentially rejective multiple test
    procedure", Scandinavian Journal of Statistics 6(2), pp. 65-70; Kruskal & Wallis (1952), JASA 47;
    Mann & Whitney (1947), Annals of Mathematical Statistics 18.
    """
    return mine_decisions(log, activities=activities, profile=profile, equity_attributes=attributes).equity


def _groups(values: pd.Series, numeric: bool, max_groups: int) -> pd.Series:
    if numeric:
        x = pd.to_numeric(values, errors="coerce")
        if x.nunique() > max_groups:
            q = x.quantile([0.25, 0.5, 0.75]).to_numpy()
            edges = np.unique(np.concatenate([[-np.inf], q, [np.inf]]))
            labels = [f"{_fmt_edge(a)}–{_fmt_edge(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
            g = pd.cut(x, edges, labels=labels, right=True).astype("string")
            return g.fillna("missing")
        return x.map(lambda v: "missing" if pd.isna(v) else f"{_num(v)}").astype("string")
    v = values.astype("string").fillna("missing")
    top = v.value_counts()
    if len(top) > max_groups:
        keep = set(top.index[: max_groups - 1])
        v = v.where(v.isin(keep), "other")
    return v


def _fmt_edge(v: float) -> str:
    return "" if np.isinf(v) else f"{_num(v)}"


def _equity(table, acts, outs, attributes, numeric, eq, min_share) -> pd.DataFrame:
    from scipy import stats

    rows = []
    for act in acts:
        inst = table[table["activity"] == act]
        branches = sorted(outs.loc[(outs["activity"] == act) & (outs["share"] >= min_share), "outcome"])
        for attr in attributes:
            g = _groups(inst[attr], numeric.get(attr, False), int(eq["max_groups"]))
            counts = g.value_counts().sort_index()
            big = [k for k, n in counts.items() if n >= eq["min_group_cases"] and k != "missing"]
            base = {"activity": act, "attribute": attr, "counts": {str(k): int(v) for k, v in counts.items()}}
            if len(big) < 2:
                continue
            sub = inst[g.isin(big).to_numpy()]
            gs = g[g.isin(big)]
            # Outcome: rates per group of each branch.
            tab = pd.crosstab(
                gs.to_numpy(), sub["outcome"].where(sub["outcome"].isin(branches), OTHER).to_numpy()
            )
            tab = tab.loc[:, (tab.sum(axis=0) > 0)]
            rates = tab.div(tab.sum(axis=1), axis=0)
            best = None
            for b in [c for c in rates.columns if c in branches]:
                hi, lo = rates[b].max(), rates[b].min()
                ratio = lo / hi if hi > 0 else 1.0
                if best is None or ratio < best[0]:
                    best = (ratio, b, rates[b].idxmin(), rates[b].idxmax())
            if best is not None and tab.shape[1] >= 2:
                expected = stats.contingency.expected_freq(tab.to_numpy())
                if tab.shape == (2, 2) and expected.min() < 5:
                    stat, p = stats.fisher_exact(tab.to_numpy())
                    method = "Fisher exact"
                else:
                    stat, p, _, _ = stats.chi2_contingency(tab.to_numpy())
                    method = "chi-square"
                rows.append(
                    {
                        **base,
                        "test": "outcome",
                        "method": method,
                        "groups": len(big),
                        "rates": {str(k): round(float(v), 4) for k, v in rates[best[1]].items()},
                        "outcome": best[1],
                        "low_group": str(best[2]),
                        "high_group": str(best[3]),
                        "disparity_ratio": float(best[0]),
                        "statistic": float(stat),
                        "p_value": float(p),
                    }
                )
            # Waiting before the step.
            w = sub["wait_hours"].astype("float64")
            samples = {k: w[(gs == k).to_numpy()].dropna().to_numpy() for k in big}
            samples = {k: v for k, v in samples.items() if len(v) >= eq["min_group_cases"]}
            if len(samples) >= 2 and any(np.ptp(v) > 0 or v[0] != 0 for v in samples.values() if len(v)):
                med = {k: float(np.median(v)) for k, v in samples.items()}
                hi_k, lo_k = max(med, key=med.get), min(med, key=med.get)
                ratio = med[lo_k] / med[hi_k] if med[hi_k] > 0 else 1.0
                vals = list(samples.values())
                try:
                    if len(vals) == 2:
                        stat, p = stats.mannwhitneyu(vals[0], vals[1], alternative="two-sided")
                        method = "Mann-Whitney U"
                    else:
                        stat, p = stats.kruskal(*vals)
                        method = "Kruskal-Wallis"
                except ValueError:  # every value identical
                    stat, p, method = float("nan"), 1.0, "none (identical values)"
                rows.append(
                    {
                        **base,
                        "test": "waiting",
                        "method": method,
                        "groups": len(samples),
                        "rates": {str(k): round(v, 4) for k, v in med.items()},
                        "outcome": None,
                        "low_group": str(lo_k),
                        "high_group": str(hi_k),
                        "disparity_ratio": float(ratio),
                        "statistic": float(stat),
                        "p_value": float(p),
                    }
                )
    if not rows:
        return pd.DataFrame(columns=EQUITY_COLUMNS)
    out = pd.DataFrame(rows)
    out["p_holm"] = adjust_p_values(out["p_value"].to_numpy(), method="holm")
    out["significant"] = out["p_holm"] < eq["alpha"]
    out["flagged"] = out["significant"] & (out["disparity_ratio"] < eq["disparity_ratio"])
    return out[EQUITY_COLUMNS]


__all__ = [
    "END",
    "OTHER",
    "TIMES_BEFORE",
    "Decisions",
    "classify_attributes",
    "decision_outcomes",
    "find_equity_gaps",
    "mine_decisions",
]
