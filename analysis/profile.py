"""Readiness profiles: every weight and threshold of the readiness analysis, in a YAML file.

The default profile is ``analysis/profiles/default.yaml`` (shipped with the package), documented line by
line with its reasoning. A user's profile may give only the keys it changes; :func:`load_profile`
checks every key and range and names the file and the key of anything wrong.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mapper.errors import AnalysisError

#: The shipped default profile.
DEFAULT_PROFILE_PATH = Path(str(resources.files("analysis") / "profiles" / "default.yaml"))

# kind -> (lower, upper, integer); bounds are inclusive.
_KINDS: dict[str, tuple[float, float, bool]] = {
    "weight": (0.0, math.inf, False),
    "share": (0.0, 1.0, False),
    "positive": (1e-12, math.inf, False),
    "score": (0.0, 100.0, False),
    "count": (1, math.inf, True),
    "count0": (0, math.inf, True),
    "folds": (2, 20, True),
}

#: Every key of a profile, by section, with its kind (see ``_KINDS``).
SPEC: dict[str, dict[str, str]] = {
    "weights": {
        "standardisation": "weight",
        "predictability": "weight",
        "time_dispersion": "weight",
        "failure": "weight",
        "maturity": "weight",
        "automation_rate": "weight",
        "performer_concentration": "weight",
        "structured_input": "weight",
        "waiting_gain": "weight",
    },
    "scoring": {
        "cv_zero": "positive",
        "failure_zero": "positive",
        "volume_drift_zero": "positive",
        "flow_drift_zero": "positive",
    },
    "rules": {
        "fix_first_rework": "share",
        "fix_first_abandoned": "share",
        "fix_first_handoff": "share",
        "fix_first_min_cases": "count",
        "recurring_share": "share",
        "already_automated": "share",
        "external": "share",
        "min_events": "count",
        "determinism_rule": "share",
        "automate_score": "score",
        "routine_max_cv": "positive",
        "ai_assist_min_events_per_month": "positive",
        "ai_assist_min_determinism": "share",
        "ai_assist_min_unstructured": "share",
        "ai_assist_score": "score",
    },
    "measurement": {
        "top_k": "count",
        "decision_min_share": "share",
        "min_timed": "count",
        "tree_max_depth": "count",
        "cv_folds": "folds",
        "max_instances": "count",
        "max_levels": "count",
        "min_month_events": "count",
    },
    "equity": {
        "alpha": "share",
        "disparity_ratio": "share",
        "min_group_cases": "count",
        "max_groups": "count",
    },
    "gate": {
        "variant_entropy": "share",
        "rework_cases": "share",
        "ping_pong_cases": "share",
        "fitness": "share",
    },
    "sensitivity": {
        "step": "share",
        "joint_samples": "count0",
        "seed": "count0",
    },
}

#: The sections whose parameters the sensitivity analysis moves (weights and thresholds of the score and
#: the rule); ``measurement`` defines what is measured, ``equity`` is fixed by the cited standards.
PERTURBED_SECTIONS = ("weights", "scoring", "rules")


@dataclass(frozen=True)
class Profile:
    """The weights and thresholds of one readiness analysis.

    Attributes
    ----------
    values : dict
        Section -> key -> number (every key of :data:`SPEC`; a copy, never shared).
    source : str
        The file it was read from (``"default"`` for the shipped profile).
    """

    values: dict = field(default_factory=dict)
    source: str = "default"

    def __getitem__(self, section: str) -> dict:
        return dict(self.values[section])

    @property
    def weights(self) -> dict[str, float]:
        """The factor weights (a copy)."""
        return {k: float(v) for k, v in self.values["weights"].items()}

    def get(self, section: str, key: str) -> float:
        """One value, e.g. ``profile.get("rules", "automate_score")``."""
        return self.values[section][key]

    def parameters(self) -> list[tuple[str, str]]:
        """The (section, key) pairs the sensitivity analysis moves, in :data:`SPEC` order."""
        return [(s, k) for s in PERTURBED_SECTIONS for k in SPEC[s]]

    def scaled(self, factors: dict[tuple[str, str], float]) -> Profile:
        """A new profile with each (section, key) multiplied by its factor, clipped to its range.

        Integer parameters are rounded, and move by at least 1 when the factor differs from 1, so
        that a small count (``fix_first_min_cases: 5``) is perturbed too.
        """
        vals = {s: dict(d) for s, d in self.values.items()}
        for (section, key), f in factors.items():
            lo, hi, integer = _KINDS[SPEC[section][key]]
            v = vals[section][key] * f
            if integer:
                old = vals[section][key]
                v = round(v)
                if f != 1 and v == old:
                    v = old + (1 if f > 1 else -1)
            vals[section][key] = min(max(v, lo), hi)
        return Profile(vals, self.source)

    def to_dict(self) -> dict:
        """A JSON-ready copy: section -> key -> number."""
        return {s: dict(d) for s, d in self.values.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``section``, ``key`` (str), ``value`` (float), ``perturbed`` (bool)."""
        rows = [
            (s, k, float(v), s in PERTURBED_SECTIONS) for s, d in self.values.items() for k, v in d.items()
        ]
        return pd.DataFrame(rows, columns=["section", "key", "value", "perturbed"])

    def plot(self):
        """A plotly bar chart of the readiness factor weights: what the score is made of.

        Returns
        -------
        plotly.graph_objects.Figure
            One horizontal bar per factor of the ``weights`` section (x: its share of the total weight,
            %; hover: the weight as written in the profile).

        Examples
        --------
        >>> from analysis import load_profile
        >>> fig = load_profile().plot()
        >>> round(sum(fig.data[0].x))
        100
        """

        from analysis.escape import bar_chart, plotly_text

        w = pd.Series(self.weights, dtype="float64").sort_values(ascending=False, kind="stable")
        total = w.sum() or 1.0
        return bar_chart(
            list(w.index),
            100 * w / total,
            customdata=w.to_numpy(),
            hover="%{y}: %{x:.0f}% of the score (weight %{customdata:g})",
            title=f"Readiness factor weights ({plotly_text(self.source)} profile)",
            x_title="share of the readiness score (%)",
        )

    def _repr_html_(self) -> str:
        return f"<b>Readiness profile</b> ({html.escape(self.source)})" + self.to_frame().to_html(index=False)


def load_profile(path: str | Path | None = None) -> Profile:
    """Read a readiness profile from YAML, over the shipped default, and check every key and range.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file with any of the sections and keys of ``analysis/profiles/default.yaml``; keys it
        leaves out keep their default. ``None`` returns the default profile.

    Returns
    -------
    Profile

    Raises
    ------
    AnalysisError
        When the file cannot be read or is not YAML; when it names an unknown section or key (the
        message names the file and the key, and lists the known ones); when a value is not a number, is
        out of its range (shares in [0, 1], weights >= 0, counts whole numbers >= 1, scores 0-100), or
        when every weight is 0.

    Examples
    --------
    >>> p = load_profile()
    >>> p.get("rules", "automate_score")
    60
    >>> sorted(p.weights)[:2]
    ['automation_rate', 'failure']
    """
    default = _read(DEFAULT_PROFILE_PATH)
    base = _validate(default, "default profile", partial=False)
    if path is None:
        return Profile(base, "default")
    where = str(path)
    user = _read(Path(path))
    checked = _validate(user, where, partial=True)
    merged = {s: {**base[s], **checked.get(s, {})} for s in base}
    if sum(merged["weights"].values()) <= 0:
        raise AnalysisError(f"{where}: weights: at least one weight must be above 0.")
    return Profile(merged, where)


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnalysisError(
            f"Cannot read the profile {path}: {exc.strerror or exc}; give a readable YAML file in `profile`."
        ) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AnalysisError(f"{path}: not valid YAML ({exc}).") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise AnalysisError(
            f"{path}: a profile is a mapping of sections (weights, rules, ...), not {type(doc).__name__}."
        )
    return doc


def _validate(doc: dict, where: str, *, partial: bool) -> dict:
    out: dict[str, dict[str, Any]] = {}
    for section, body in doc.items():
        if section == "version":
            if body != 1:
                raise AnalysisError(f"{where}: version: only version 1 is known, not {body!r}.")
            continue
        if section not in SPEC:
            raise AnalysisError(
                f"{where}: unknown section {section!r}; sections: version, {', '.join(SPEC)}."
            )
        if not isinstance(body, dict):
            raise AnalysisError(f"{where}: {section}: expected a mapping of keys to numbers.")
        out[section] = {}
        for key, value in body.items():
            if key not in SPEC[section]:
                raise AnalysisError(
                    f"{where}: {section}.{key}: unknown key; keys of {section}: {', '.join(SPEC[section])}."
                )
            out[section][key] = _check(value, SPEC[section][key], f"{where}: {section}.{key}")
    if not partial:
        for section, keys in SPEC.items():
            missing = [k for k in keys if k not in out.get(section, {})]
            if missing:
                raise AnalysisError(f"{where}: {section}: missing key(s) {', '.join(missing)}.")
        if sum(out["weights"].values()) <= 0:
            raise AnalysisError(f"{where}: weights: at least one weight must be above 0.")
    return out


def _check(value: Any, kind: str, name: str) -> float | int:
    lo, hi, integer = _KINDS[kind]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise AnalysisError(f"{name}: expected a number, not {value!r}.")
    if integer and float(value) != int(value):
        raise AnalysisError(f"{name}: expected a whole number, not {value!r}.")
    if not lo <= value <= hi:
        lower = "above 0" if kind == "positive" else f"at least {lo:g}"
        upper = "" if math.isinf(hi) else f" and at most {hi:g}"
        raise AnalysisError(f"{name}: {value!r} is out of range; it must be {lower}{upper}.")
    return int(value) if integer else value
