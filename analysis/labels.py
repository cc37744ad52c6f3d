"""How every face names and colours the readiness recommendations: the one table (and the words for the
readiness factors, and where the documentation is).

The report, the app, the charts and the blueprint diagram read their words and colours from here, so a
step marked "AI-assist" reads and looks the same everywhere. The colours are Okabe & Ito's colour-blind-safe
palette (Okabe & Ito (2008), "Color Universal Design (CUD): how to make figures and presentations that are
friendly to colorblind people", https://jfly.uni-koeln.de/color/); the diagram's fills are light tints of
the same hues, so that black text stays readable on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "BAD",
    "GOOD",
    "NEUTRAL",
    "OKABE_ITO",
    "PERFORMER_TYPE_COLOURS",
    "WAIT_CAUSE_COLOURS",
    "PATTERN_LABELS",
    "CAUSE_LABELS",
    "DOCS_URL",
    "FACTORS",
    "Factor",
    "RECOMMENDATIONS",
    "RECOMMENDATION_COLOURS",
    "RECOMMENDATION_FILLS",
    "RECOMMENDATION_LABELS",
    "Recommendation",
    "docs_link",
    "recommendation_bars",
]


@dataclass(frozen=True)
class Recommendation:
    """One recommendation as people see it.

    Attributes
    ----------
    code : str
        The value in the data (``findings.json``, tables): ``automate``, ``ai_assist``, ...
    label : str
        The words for it in charts, tables, the report and the app.
    colour : str
        Its colour in charts (hex).
    fill : str
        Its fill in diagrams (a light tint of ``colour``).
    meaning : str
        One sentence for legends.
    """

    code: str
    label: str
    colour: str
    fill: str
    meaning: str


#: Every recommendation (and the two kinds of blueprint task that are not one), in display order.
RECOMMENDATIONS: MappingProxyType = MappingProxyType(
    {
        r.code: r
        for r in (
            Recommendation(
                "automate", "Automate", "#009e73", "#b3e2d5", "a system does it: rules, no judgment"
            ),
            Recommendation(
                "ai_assist",
                "AI-assist (human in the loop)",
                "#0072b2",
                "#b3d4e8",
                "AI prepares it, a person checks and decides",
            ),
            Recommendation("keep_human", "Keep human", "#757575", "#eeeeee", "a person does it, as today"),
            Recommendation(
                "fix_first", "Fix first", "#d55e00", "#f2cfb3", "fix how work reaches it before automating"
            ),
            Recommendation(
                "already_automated", "Already automated", "#9e9e9e", "#e0e0e0", "a system does it already"
            ),
            Recommendation(
                "orchestration",
                "Orchestration step",
                "#cc79a7",
                "#ebd0e2",
                "a step the orchestrator adds at a failing handoff",
            ),
            Recommendation(
                "exception", "Exception path", "#e69f00", "#fbf6c2", "where a failed or late step goes"
            ),
        )
    }
)
#: ``code`` -> label, colour and diagram fill (read-only views of :data:`RECOMMENDATIONS`).
RECOMMENDATION_LABELS: MappingProxyType = MappingProxyType({k: r.label for k, r in RECOMMENDATIONS.items()})
RECOMMENDATION_COLOURS: MappingProxyType = MappingProxyType({k: r.colour for k, r in RECOMMENDATIONS.items()})
RECOMMENDATION_FILLS: MappingProxyType = MappingProxyType({k: r.fill for k, r in RECOMMENDATIONS.items()})

#: Okabe & Ito's eight colours, in the order charts take them for series that carry no meaning of their own.
OKABE_ITO = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#56b4e9", "#cc79a7", "#f0e442", "#000000")

#: Colours that carry a judgement, from the same palette: a good outcome (bluish green), a bad one
#: (vermilion), and a change or value that is neither (blue); told apart by people who cannot tell red
#: from green.
GOOD, BAD, NEUTRAL = "#009e73", "#d55e00", "#0072b2"

#: Who does the work (:data:`analysis.performers.PERFORMER_TYPES`) in charts: people in grey, the rest
#: in Okabe & Ito hues.
PERFORMER_TYPE_COLOURS: MappingProxyType = MappingProxyType(
    {"human": "#757575", "system": "#0072b2", "bot": "#cc79a7", "external": "#e69f00"}
)

#: The colour of each cause of waiting (:data:`analysis.waiting.CAUSES` and ``unknown``) in every chart:
#: Okabe & Ito hues for the causes an organisation can fix, greys for off hours (nothing to fix) and for
#: waiting no cause explains.
WAIT_CAUSE_COLOURS: MappingProxyType = MappingProxyType(
    {
        "batching": "#cc79a7",  # reddish purple
        "contention": "#d55e00",  # vermilion
        "prioritisation": "#e69f00",  # orange
        "unavailability": "#757575",  # dark grey
        "extraneous": "#0072b2",  # blue
        "unknown": "#cccccc",  # light grey
    }
)

# ------------------------------------------------------------------------------------ the documentation

#: Where people read the documentation site (``mkdocs.yml``; page URLs are the file names with ``.html``,
#: e.g. ``readiness.html#factors``). The project has no public site yet: set ``FLOWREADY_DOCS_URL`` to
#: where yours is served (an internal server, the ``site/`` folder of ``make docs``); the app and the
#: report link there.
DOCS_URL: str = os.environ.get("FLOWREADY_DOCS_URL", "https://flowready.readthedocs.io/en/latest/")


def docs_link(page: str) -> str:
    """The address of a documentation page on the docs site (:data:`DOCS_URL`).

    Parameters
    ----------
    page : str
        The page's file name with ``.html``, and an optional anchor.

    Returns
    -------
    str
        The absolute address.

    Examples
    --------
    >>> docs_link("readiness.html#factors").endswith("/readiness.html#factors")
    True
    """
    return DOCS_URL.rstrip("/") + "/" + page.lstrip("/")


def recommendation_bars(frame, *, x: str, customdata: list[str], hover: str) -> list:
    """Horizontal bars of one step each, one trace per recommendation in its label and colour.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``activity`` (str), ``recommendation`` (str, a code of :data:`RECOMMENDATIONS`), the column
        ``x`` (float, the bar length) and the ``customdata`` columns; drawn bottom to top in row order.
    x : str
        The column of the bars' lengths.
    customdata : list of str
        Columns the hover template reads as ``%{customdata[i]}`` (missing values shown empty).
    hover : str
        A plotly hover template, without ``<extra>``.

    Returns
    -------
    list of plotly.graph_objects.Bar
        For ``go.Figure``; names from the data are not escaped yet (escape the figure).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"activity": ["a", "b"], "recommendation": ["automate", "keep_human"],
    ...                   "score": [80.0, 40.0]})
    >>> [t.name for t in recommendation_bars(d, x="score", customdata=[], hover="%{x}")]
    ['Automate', 'Keep human']
    """
    import plotly.graph_objects as go

    traces = []
    for code, rec in RECOMMENDATIONS.items():
        part = frame[frame["recommendation"] == code]
        if part.empty:
            continue
        traces.append(
            go.Bar(
                x=part[x],
                y=part["activity"],
                orientation="h",
                name=rec.label,
                marker_color=rec.colour,
                customdata=part[customdata].astype(object).where(part[customdata].notna(), "").to_numpy()
                if customdata
                else None,
                hovertemplate=hover + "<extra></extra>",
            )
        )
    return traces


# --------------------------------------------------------------------------------- the readiness factors


@dataclass(frozen=True)
class Factor:
    """One feasibility factor of the readiness score as people read it (``docs/readiness.md``).

    Attributes
    ----------
    code : str
        The factor's name in the data and the profile (``time_dispersion``...).
    label : str
        Its words in tables and charts.
    value : str
        What its measured value is.
    score : str
        How the value becomes the 0-1 score (1 favours automation).
    unknown : str
        When the value cannot be measured (the factor then adds no points and the others are reweighted).
    """

    code: str
    label: str
    value: str
    score: str
    unknown: str


#: The nine feasibility factors (:data:`analysis.readiness.FACTORS`), in profile order.
FACTORS: MappingProxyType = MappingProxyType(
    {
        f.code: f
        for f in (
            Factor(
                "standardisation",
                "Standard path",
                "share of its flow through its 2 most common neighbours",
                "the value",
                "never",
            ),
            Factor(
                "predictability",
                "Predictable next step",
                "entropy of where its cases go next (0 = always the same step)",
                "1 − entropy × (1 − how well a rule in the data decides it)",
                "never",
            ),
            Factor(
                "time_dispersion",
                "Steady processing time",
                "coefficient of variation of its processing time",
                "1 − CV / 1.5 (0 from a CV of 1.5)",
                "no start times, or fewer than 10 timed instances",
            ),
            Factor(
                "failure",
                "Few failures",
                "share of its cases with rework or lost right after it",
                "1 − share / 0.30 (0 from 30 %)",
                "never",
            ),
            Factor(
                "maturity",
                "Stable over time",
                "drift of its monthly volume or routing",
                "1 − drift",
                "fewer than 3 full months of data",
            ),
            Factor(
                "automation_rate",
                "Already done by systems",
                "share of its events done by systems and bots",
                "the value (0 when people do all of it)",
                "no resources and no performer types",
            ),
            Factor(
                "performer_concentration",
                "Spread over performers",
                "concentration on few performers (1 = one person does it all)",
                "1 − value (0 when one person does it all)",
                "no resources",
            ),
            Factor(
                "structured_input",
                "Structured input",
                "share of its events carrying free text",
                "1 − value",
                "the log has no attribute columns",
            ),
            Factor(
                "waiting_gain",
                "Waiting a bot removes",
                "share of its waiting that automation removes (queues, batches, off hours)",
                "the value",
                "no waiting causes measured",
            ),
        )
    }
)


#: How people read the waiting causes (:data:`analysis.waiting.CAUSES`).
CAUSE_LABELS: MappingProxyType = MappingProxyType(
    {
        "batching": "Batching",
        "contention": "Resource contention",
        "prioritisation": "Prioritisation",
        "unavailability": "Unavailability (off hours)",
        "extraneous": "Extraneous (outside party, other system)",
        "unknown": "Unknown (no performer recorded)",
        "none": "No waiting",
    }
)


#: How people read the handoff failure patterns (``HandoffFailures.failures["pattern"]``).
PATTERN_LABELS: MappingProxyType = MappingProxyType(
    {
        "ping-pong": "ping-pong",
        "rework": "rework",
        "dropped-baton": "dropped baton",
        "escalation-bounce": "escalation bounce",
    }
)
