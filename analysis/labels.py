"""How every face names and colours the readiness recommendations: the one table.

The report, the app, the charts and the blueprint diagram read their words and colours from here, so a
step marked "AI-assist" reads and looks the same everywhere. The colours are Okabe & Ito's colour-blind-safe
palette (Okabe & Ito (2008), "Color Universal Design (CUD): how to make figures and presentations that are
friendly to colorblind people", https://jfly.uni-koeln.de/color/); the diagram's fills are light tints of
the same hues, so that black text stays readable on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "OKABE_ITO",
    "WAIT_CAUSE_COLOURS",
    "RECOMMENDATIONS",
    "RECOMMENDATION_COLOURS",
    "RECOMMENDATION_FILLS",
    "RECOMMENDATION_LABELS",
    "Recommendation",
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
