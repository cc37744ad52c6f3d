"""The orchestration blueprint: the target process, each step with its recommendation and governance.

The blueprint starts from the discovered BPMN model (Inductive Miner) and rewrites it:

* every task becomes a ``serviceTask`` (automate), a ``serviceTask`` followed by a ``userTask`` review
  (AI-assist, human in the loop), or a ``userTask`` (keep human, fix first);
* before every activity that receives a failing handoff, an orchestration ``serviceTask`` routes the
  work with its context and watches an SLA;
* human steps that decide the route of a case become approval checkpoints;
* automated steps get a retry policy; every step gets an SLA target (today's p90 time) and the audit
  events the orchestration must record;
* the KPIs to track are given with their current baseline values.
"""

from __future__ import annotations

import html
import json
import keyword
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import graphviz
import pandas as pd

from analysis.bottlenecks import Bottlenecks
from analysis.bpmn_xml import EXECUTABLE_FLOW_COLUMNS, EXECUTABLE_NODE_COLUMNS, to_bpmn_xml
from analysis.export import json_ready, json_records, json_text
from analysis.handoffs import HandoffFailures
from analysis.labels import RECOMMENDATION_FILLS, recommendation_bars
from analysis.queries.blueprint import column_presence
from analysis.queries.handoffs import handover_activity_flows, handover_table
from analysis.queries.kpis import process_kpis
from analysis.readiness import Readiness
from mapper.columns import ACTIVITY, NOT_ATTRIBUTES, RESOURCE, ROLE
from mapper.discovery import ProcessModel
from mapper.engine import execute, hours
from mapper.log import EventLog

#: Retry policy of every automated step (service task).
RETRY_POLICY = {
    "max_attempts": 3,
    "backoff": "exponential",
    "initial_delay_seconds": 60,
    "max_delay_seconds": 3600,
    "on_exhausted": "route the case to a human work queue with the error and the case context",
}
#: Audit events the orchestration must record for every case and step.
AUDIT_EVENTS = {
    "case": ["case.received", "case.completed", "case.cancelled"],
    "step": ["step.started", "step.completed", "step.failed"],
    "automate": ["step.retried", "step.escalated_to_human"],
    "ai_assist": ["ai.suggestion.created", "ai.suggestion.accepted", "ai.suggestion.overridden"],
    "approval": ["approval.requested", "approval.granted", "approval.rejected"],
    "handoff": ["handoff.routed", "handoff.accepted", "sla.breached"],
    "sla": ["sla.breached", "sla.escalated"],
    "error": ["step.failed", "step.escalated_to_human", "error.handled"],
}
#: Name of the orchestration task inserted before an activity that receives a failing handoff.
ROUTE_PREFIX = "Route with context to: "
#: A handoff is routed before the activity that receives at least this share of the failing pair's
#: handovers.
ROUTE_MIN_SHARE = 0.1

#: The discovered model's node types as written in the blueprint (an inclusive gateway of the Inductive
#: Miner's conversion is drawn as an exclusive one).
_TYPES = {"inclusiveGateway": "exclusiveGateway"}


#: The confidence below which the work of an AI-assist step goes to a person's review (``ai_confidence``,
#: in [0, 1]); kept per step in ``governance["confidence_threshold"]``.
CONFIDENCE_THRESHOLD = 0.8
#: The error code of the error boundary events: a service task that still fails after its retry policy.
ERROR_CODE = "flowready.step_failed"
#: The case variable each ``ai_prepare`` service task writes.
AI_CONFIDENCE = "ai_confidence"
#: Prefix of the case variable that picks the branch of a decision no learned rule determines.
ROUTE_VARIABLE_PREFIX = "route_"
#: Words that mark an attribute column as one that may identify a person (matched as whole words of the
#: column name, case-insensitive); ``resource`` always counts. See :func:`personal_data_columns`.
PERSONAL_WORDS = (
    "name",
    "firstname",
    "lastname",
    "surname",
    "person",
    "user",
    "username",
    "employee",
    "staff",
    "customer",
    "client",
    "patient",
    "citizen",
    "applicant",
    "owner",
    "email",
    "mail",
    "phone",
    "mobile",
    "address",
    "birth",
    "birthdate",
    "dob",
    "ssn",
    "passport",
    "iban",
    "nino",
)
#: The columns of ``Blueprint.nodes`` and ``Blueprint.flows`` (docs/blueprint-bpmn.md, "The graph tables").
NODE_COLUMNS = ["id", "type", "name", "documentation", *EXECUTABLE_NODE_COLUMNS]
FLOW_COLUMNS = ["id", "source", "target", "name", *EXECUTABLE_FLOW_COLUMNS]
_WORD = re.compile(r"[a-z]+")


def personal_data_columns(log: EventLog) -> dict[str, list[str]]:
    """The attribute columns that may identify a person, per activity whose events carry them.

    The rule is deliberately simple: ``resource`` (who did the work), and every other attribute column
    whose name holds one of :data:`PERSONAL_WORDS` as a word (``customer_name``, ``org:employee``,
    ``Patient ID``, ``email``); a column counts for an activity when at least one of its events has a value.
    Case ids, free-text contents and quasi-identifiers (age, postcode) are not detected: review the list.

    Parameters
    ----------
    log : EventLog

    Returns
    -------
    dict
        Activity (str) -> column names (list of str, ``resource`` first, then in the log's order).

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> personal_data_columns(log)["Decide application"]
    ['resource']
    """
    columns = log.columns
    cols = [RESOURCE] if RESOURCE in columns else []
    for c in columns:
        if c in NOT_ATTRIBUTES:
            continue
        words = set(_WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", str(c)).lower()))
        if words & set(PERSONAL_WORDS):
            cols.append(c)
    if not cols:
        return {}
    carried = execute(column_presence(log.table(), cols)).sort_values(ACTIVITY, kind="stable")
    return {str(r[ACTIVITY]): [c for c in cols if r[c] > 0] for r in carried.to_dict("records")}


def _decision_owners(log: EventLog) -> dict[str, str]:
    """The role (or, without roles, the resource) doing most of each activity's events today."""
    if not (log.has_roles or log.has_resources):
        return {}
    col = ROLE if log.has_roles else RESOURCE
    e = log.tables().events
    e = e.filter(e[col].notnull())
    counts = e.group_by([ACTIVITY, col]).aggregate(n=e.count())
    top = execute(counts).sort_values(["n", col], ascending=[False, True], kind="stable")
    top = top.drop_duplicates(ACTIVITY)
    return dict(zip(top[ACTIVITY].astype(str), top[col].astype(str), strict=True))


def _variable_name(attribute: str, taken: set[str]) -> str:
    """A Python identifier for a log attribute (``org:group`` -> ``org_group``), unique among ``taken``."""
    name = re.sub(r"\W+", "_", str(attribute)).strip("_") or "attribute"
    if name[0].isdigit() or keyword.iskeyword(name) or name in ("None", "True", "False"):
        name = f"v_{name}"
    base, i = name, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    return name


def _value(v):
    """A rule's value as a plain Python value (numbers stay numbers)."""
    v = json_ready(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _condition_alternatives(c: dict, variable: str) -> list[list[dict]]:
    """One learned condition (attribute, operator, value, or_missing) in DNF terms over ``variable``."""
    op, v, or_missing = c["operator"], c["value"], bool(c.get("or_missing"))
    missing = [{"variable": variable, "op": "is_missing", "value": None}]
    present = {"variable": variable, "op": "!=", "value": None}
    if op == "is missing" or (op == "==" and v == "missing"):
        return [missing]
    if op == "is not missing" or (op == "!=" and v == "missing"):
        return [[present]]
    if op in ("in", "not in"):
        values = [_value(x) for x in v]
        rest = [x for x in values if x != "missing"]
        has_missing = len(rest) < len(values)
        out = [[{"variable": variable, "op": op, "value": rest}]] if rest or op == "not in" else []
        if (op == "in" and has_missing) or (op == "not in" and or_missing and not has_missing):
            out.append(missing)
        return out
    out = [[{"variable": variable, "op": op, "value": _value(v)}]]
    return out + [missing] if or_missing else out


def rule_dnf(conditions: list[dict], variables: dict[str, str]) -> list[list[dict]]:
    """A learned rule's conditions (a conjunction) as a guard in disjunctive normal form.

    Parameters
    ----------
    conditions : list of dict
        ``attribute``, ``operator`` (as in :attr:`analysis.decisions.Decisions.rules`), ``value``,
        ``or_missing`` (the condition also holds when the attribute is missing).
    variables : dict
        Attribute -> case variable name.

    Returns
    -------
    list of list of dict
        Alternatives of terms ``{"variable", "op", "value"}``; ``op`` is ``<``, ``<=``, ``>``, ``>=``,
        ``==``, ``!=``, ``in``, ``not in`` or ``is_missing``; ``!=`` with value None means "is not
        missing". A comparison on a missing variable is false.

    Examples
    --------
    >>> rule_dnf([{"attribute": "docs", "operator": "<", "value": 4, "or_missing": True}], {"docs": "docs"})
    [[{'variable': 'docs', 'op': '<', 'value': 4}], [{'variable': 'docs', 'op': 'is_missing', 'value': None}]]
    """
    alternatives: list[list[dict]] = [[]]
    for c in conditions:
        options = _condition_alternatives(c, variables[c["attribute"]])
        alternatives = [a + o for a in alternatives for o in options]
    return alternatives


def _term_python(t: dict) -> str:
    var, op, v = t["variable"], t["op"], t["value"]
    if op == "is_missing":
        return f"{var} is None"
    if v is None:
        return f"{var} is not None" if op == "!=" else f"{var} is None"
    literal = json.dumps(v, ensure_ascii=True) if not isinstance(v, float) else repr(v)
    if op in ("==", "in"):  # false on a missing value already
        return f"{var} {op} {literal}"
    return f"{var} is not None and {var} {op} {literal}"


def dnf_to_python(dnf: list[list[dict]]) -> str:
    """A guard in DNF as a Python boolean expression over the case variables.

    Examples
    --------
    >>> below = {"variable": "x", "op": "<", "value": 4}
    >>> dnf_to_python([[below], [{"variable": "x", "op": "is_missing", "value": None}]])
    '(x is not None and x < 4) or (x is None)'
    >>> dnf_to_python([[{"variable": "route_n3", "op": "==", "value": "f7"}]])
    'route_n3 == "f7"'
    """
    parts = [" and ".join(_term_python(t) for t in alt) or "True" for alt in dnf]
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({p})" for p in parts) if parts else "False"


@dataclass(frozen=True)
class Blueprint:
    """The redesigned process and its governance.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per activity: ``activity`` (str), ``recommendation`` (str), ``score`` (float 0-100),
        ``bpmn_tasks`` (list of dict: ``id``, ``type``, ``name``), ``sla_hours`` (float: today's p90
        waiting plus p90 processing time, or p90 time between completions without start times),
        ``approval_checkpoint`` (bool), ``human_in_the_loop`` (bool), ``retry_policy`` (dict or None),
        ``audit_events`` (list of str), ``fix_first_reasons`` (list of str), ``in_model`` (bool: the
        discovered model holds the activity; infrequent activities filtered by the miner are listed but
        not drawn), ``gateway_rules`` (list of dict: for a decision a learned rule determines, each rule
        with ``outcome``, ``condition`` (in words), ``conditions`` (machine-readable), ``support``,
        ``precision``; they name the flows out of the gateway after the step; empty otherwise).
    orchestration : pandas.DataFrame
        One row per orchestration step inserted at failing handoffs: ``id`` (str), ``before_activity``
        (str), ``level`` (str), ``handoffs`` (list of dict: ``source``, ``target``, ``failure`` (the
        pattern: ping-pong, rework, dropped-baton, escalation-bounce), ``after_activity``, ``cases``,
        ``count``, ``hours_lost``, ``wait_hours_p90``; built from ping-pong pairs alone, without a
        failure analysis: ``source``, ``target``, ``failure``, ``count``, ``delay_hours_median``),
        ``sla_hours`` (float: the SLA timer, the p90 of today's waits at those handoffs; None when
        unknown), ``action`` (str: routing, the SLA timer, the alert, and what to do about each failure).
    kpis : dict
        Name -> {"baseline": float (int for counts of cases), "unit": str, "description": str}.
    governance : dict
        ``retry_policy``, ``audit_events``, ``approval_checkpoints`` (list of str), ``sla_basis`` (str),
        ``handoff_level`` (``"role"``, ``"resource"`` or None: the level the routing steps use).
    nodes, flows : pandas.DataFrame
        The BPMN graph (``id``, ``type``, ``name``, ``documentation``; ``id``, ``source``, ``target``,
        ``name``) exported by :meth:`to_bpmn`.
    """

    steps: pd.DataFrame
    orchestration: pd.DataFrame
    kpis: dict
    governance: dict
    nodes: pd.DataFrame
    flows: pd.DataFrame
    source: str = ""
    meta: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The steps as a flat table (lists and dicts rendered as text)."""
        out = self.steps.drop(columns=["bpmn_tasks", "retry_policy", "audit_events"]).copy()
        out["fix_first_reasons"] = out["fix_first_reasons"].map("; ".join)
        return out

    def to_dict(self) -> dict:
        """The JSON-ready blueprint (the content of ``blueprint.json``)."""
        return {
            "source": self.source,
            **self.meta,
            "steps": json_records(self.steps),
            "orchestration_steps": json_records(self.orchestration),
            "kpis": self.kpis,
            "governance": self.governance,
            "bpmn": {"nodes": json_records(self.nodes), "flows": json_records(self.flows)},
        }

    def to_json(self, path: str | Path) -> Path:
        """Write ``blueprint.json``; returns the path."""
        path = Path(path)
        path.write_text(json_text(self.to_dict()), "utf-8")
        return path

    def to_bpmn(self, path: str | Path | None = None) -> str:
        """BPMN 2.0 XML with diagram interchange; written to ``path`` when given."""
        xml = to_bpmn_xml(self.nodes, self.flows, process_name=f"Orchestration blueprint: {self.source}")
        if path is not None:
            Path(path).write_text(xml, "utf-8")
        return xml

    def to_graphviz(self) -> graphviz.Digraph:
        """The blueprint's BPMN graph as a diagram; see :func:`plot_blueprint`."""
        return plot_blueprint(self)

    def plot(self):
        """A plotly bar chart of the blueprint's steps: readiness score, coloured by recommendation.

        The diagram of the redesigned process is :func:`plot_blueprint` (graphviz); this chart is the
        blueprint's table at a glance, in the recommendation colours every face uses
        (:mod:`analysis.labels`).

        Returns
        -------
        plotly.graph_objects.Figure
            One trace per recommendation, one horizontal bar per step (x: readiness score, 0-100; hover:
            the SLA target in hours, approval checkpoint and human in the loop); names escaped.

        Examples
        --------
        >>> from analysis import analyze
        >>> blueprint = analyze(load_event_log(SAMPLE), impact="off", sensitivity=False).blueprint
        >>> fig = blueprint.plot()
        >>> sum(len(t.y) for t in fig.data) == len(blueprint.steps)
        True
        """
        import plotly.graph_objects as go

        from analysis.escape import escape_figure, plotly_text

        d = self.steps.sort_values("score", kind="stable")
        traces = recommendation_bars(
            d,
            x="score",
            customdata=["sla_hours", "approval_checkpoint", "human_in_the_loop"],
            hover="%{y}: readiness %{x:.0f}<br>SLA %{customdata[0]:.1f} h, approval %{customdata[1]}, "
            "human in the loop %{customdata[2]}",
        )
        fig = go.Figure(traces)
        fig.update_layout(
            title="Blueprint: what each step becomes",
            xaxis={"title": "readiness score (0-100)", "range": [0, 100]},
            # the axis order names the escaped categories, as escape_figure leaves them in the traces
            yaxis={"categoryorder": "array", "categoryarray": [plotly_text(a) for a in d["activity"]]},
            barmode="overlay",
            height=180 + 24 * len(d),
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        return (
            "<b>Orchestration blueprint</b>"
            + self.to_frame()[
                ["activity", "recommendation", "score", "sla_hours", "approval_checkpoint"]
            ].to_html(index=False)
            + f"<p>{len(self.orchestration)} orchestration step(s) at failing handoffs.</p>"
        )


#: Fill colours of the diagram, by what the task is (see :func:`plot_blueprint`).
DIAGRAM_COLOURS = {
    k: RECOMMENDATION_FILLS[k]  # the one table, analysis.labels
    for k in ("automate", "ai_assist", "keep_human", "fix_first", "orchestration", "exception")
}
#: Names of the user task that takes over when a service task fails, by the service task's purpose.
HANDLER_NAMES = {
    "step": "Handle failure: ",
    "ai_prepare": "Handle failed AI preparation: ",
    "route": "Handle failed routing: ",
}
#: Fill colours of the boundary events in the diagram.
BOUNDARY_COLOURS = {"timer": "#fff176", "error": "#e57373"}
#: Purposes of the tasks drawn in the "exception" colour: the handling of a failure or an SLA breach.
EXCEPTION_PURPOSES = ("handle_error", "escalate")


def plot_blueprint(blueprint: Blueprint) -> graphviz.Digraph:
    """Draw the blueprint's BPMN graph: tasks coloured by recommendation, gateways, events.

    The drawing follows BPMN 2.0 notation loosely (OMG, *Business Process Model and Notation 2.0.2*,
    2014): rounded boxes are tasks (a gear marks a ``serviceTask``; a ``userTask``, done by a person,
    has a thick border), diamonds are exclusive (×) or parallel (+) gateways, circles are the start and
    end events. Boundary events are small circles tied to their task by a dotted line: yellow an SLA timer
    (⏱, non-interrupting), red an error (⚡) after the retries. Fill colours say what the step becomes:
    green automate, blue AI prepares and a human reviews, grey keep human, red fix first, purple an
    orchestration step inserted at a failing handoff, pale yellow the handling of a failure or an SLA
    breach. A default flow out of a gateway is marked "(default)". ``blueprint.bpmn`` holds the same
    graph for BPMN tools.

    Parameters
    ----------
    blueprint : Blueprint

    Returns
    -------
    graphviz.Digraph
        Every name is escaped and nodes get synthetic ids, so names cannot inject markup.
    """
    kind: dict[str, str] = {}
    for step in blueprint.steps.itertuples():
        for task in step.bpmn_tasks:
            purpose = task.get("purpose")
            routing = task["type"] == "serviceTask" and str(task["name"]).startswith(ROUTE_PREFIX)
            if purpose in EXCEPTION_PURPOSES:
                kind[task["id"]] = "exception"
            else:
                kind[task["id"]] = "orchestration" if routing else step.recommendation
    # Polyline edges: dot's spline routing took over 250 s on a 629-node blueprint (BPIC15_1), polylines
    # 2.4 s; the BPMN export's layout uses them too.
    g = graphviz.Digraph(
        "blueprint",
        graph_attr={
            "rankdir": "TB",
            "fontname": "Helvetica",
            "fontsize": "11",
            "ranksep": "0.3",
            "splines": "polyline",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
    )
    ids = {node_id: f"b{i}" for i, node_id in enumerate(blueprint.nodes["id"])}
    for node in blueprint.nodes.itertuples():
        nid = ids[node.id]
        if node.type == "startEvent":
            g.node(nid, label="", shape="circle", width="0.3", style="filled", fillcolor="#a5d6a7")
        elif node.type == "endEvent":
            g.node(nid, label="", shape="doublecircle", width="0.25", style="filled", fillcolor="#ef9a9a")
        elif node.type.endswith("Gateway"):
            mark = "+" if node.type == "parallelGateway" else "×"
            g.node(nid, label=mark, shape="diamond", width="0.4", height="0.4", fixedsize="true")
        elif node.type == "boundaryEvent":
            event = getattr(node, "event", None)
            g.node(
                nid,
                label="⏱" if event == "timer" else "⚡",
                shape="circle",
                width="0.32",
                fixedsize="true",
                fontsize="7",
                style="filled" + (",dashed" if getattr(node, "interrupting", None) is False else ""),
                fillcolor=BOUNDARY_COLOURS.get(event, "#ffffff"),
                tooltip=html.escape(str(node.name or ""), quote=True),
            )
            host = getattr(node, "attached_to", None)
            if host in ids:
                g.edge(ids[host], nid, style="dotted", arrowhead="none", weight="5")
        else:
            service = node.type == "serviceTask"
            g.node(
                nid,
                label=("⚙ " if service else "")
                + html.escape(str(node.name or ""), quote=True).replace("\\", "\\\\"),
                shape="box",
                style="rounded,filled",
                penwidth="1" if service else "2.2",
                fillcolor=DIAGRAM_COLOURS.get(kind.get(node.id, ""), "#ffffff"),
                tooltip=html.escape(str(node.documentation or node.name or ""), quote=True),
            )
    for flow in blueprint.flows.itertuples():
        if flow.source in ids and flow.target in ids:
            text = flow.name if isinstance(flow.name, str) and flow.name else ""
            if getattr(flow, "is_default", False) is True:
                text = f"{text} (default)".strip()
            label = html.escape(text, quote=True) if text else None
            g.edge(ids[flow.source], ids[flow.target], label=label)
    return g


def build_blueprint(
    log: EventLog,
    model: ProcessModel,
    readiness: Readiness,
    bottlenecks: Bottlenecks,
    handoffs: pd.DataFrame,
    rework: pd.DataFrame,
    *,
    failures: HandoffFailures | None = None,
) -> Blueprint:
    """Build the orchestration blueprint from the discovered model and the findings.

    Parameters
    ----------
    log : EventLog
    model : ProcessModel
        From :func:`mapper.discover_bpmn`.
    readiness : Readiness
        From :func:`analysis.score_readiness`.
    bottlenecks : Bottlenecks
        From :func:`analysis.find_bottlenecks`.
    handoffs : pandas.DataFrame
        From :func:`analysis.find_handoffs` (one level; the role level when the log has roles).
    rework : pandas.DataFrame
        From :func:`analysis.find_rework`.
    failures : HandoffFailures, optional
        From :func:`analysis.find_handoff_failures`: every failure becomes an orchestration step before
        the activity that receives it (routing with full context, an SLA timer at the p90 of that
        handoff's waits today, an alert on breach), naming the failure. Without it, the pairs of
        ``handoffs`` failing by ping-pong are routed.

    Returns
    -------
    Blueprint

    References
    ----------
    OMG (2011), *Business Process Model and Notation (BPMN) Version 2.0*, formal/2011-01-03 (service
    and user tasks, diagram interchange); Dumas et al. (2018), *Fundamentals of Business Process
    Management*, ch. 8 (process redesign heuristics: task automation, contact reduction, triage).
    """
    acts = bottlenecks.activities.set_index("activity")
    scores = readiness.scores.set_index("activity")
    routes = _failure_routes(failures) if failures is not None else _routes(log, handoffs, acts)

    steps = []
    for activity, r in scores.iterrows():
        rec = r["recommendation"]
        human = rec in ("ai_assist", "keep_human", "fix_first")
        approval = bool(r["decision_point"]) and human
        b = acts.loc[activity]
        wait90, proc90 = b["waiting_hours_p90"], b["processing_hours_p90"]
        sla = float((0 if pd.isna(wait90) else wait90) + (0 if pd.isna(proc90) else proc90))
        audit = AUDIT_EVENTS["step"] + (AUDIT_EVENTS["automate"] if rec in ("automate", "ai_assist") else [])
        if rec == "ai_assist":
            audit = audit + AUDIT_EVENTS["ai_assist"]
        if approval:
            audit = audit + AUDIT_EVENTS["approval"]
        steps.append(
            {
                "activity": activity,
                "recommendation": rec,
                "score": float(r["score"]),
                "sla_hours": round(sla, 3),
                "approval_checkpoint": approval,
                "human_in_the_loop": human,
                "retry_policy": dict(RETRY_POLICY) if rec in ("automate", "ai_assist") else None,
                "audit_events": audit,
                "fix_first_reasons": list(r["fix_first_reasons"]),
            }
        )
    steps_df = pd.DataFrame(steps)

    rules = _gateway_rules(readiness)
    decision_points = (
        set(scores.index[scores["decision_point"].astype(bool)]) if "decision_point" in scores else set()
    )
    nodes, flows, tasks_of, case_variables = _executable_graph(
        model,
        steps_df.set_index("activity"),
        routes,
        rules,
        personal_data_columns(log),
        _decision_owners(log),
        decision_points,
    )
    steps_df["bpmn_tasks"] = steps_df["activity"].map(lambda a: tasks_of.get(a, []))
    steps_df["in_model"] = steps_df["activity"].isin(tasks_of)
    steps_df["gateway_rules"] = steps_df["activity"].map(lambda a: rules.get(a, []))
    steps_df = steps_df[
        [
            "activity",
            "recommendation",
            "score",
            "bpmn_tasks",
            "sla_hours",
            "approval_checkpoint",
            "human_in_the_loop",
            "retry_policy",
            "audit_events",
            "fix_first_reasons",
            "in_model",
            "gateway_rules",
        ]
    ]

    kpis = _kpis(log, bottlenecks, handoffs, failures)
    governance = {
        "retry_policy": dict(RETRY_POLICY),  # copies: the result never shares the module's defaults
        "audit_events": {k: list(v) for k, v in AUDIT_EVENTS.items()},
        "approval_checkpoints": steps_df.loc[steps_df["approval_checkpoint"], "activity"].tolist(),
        "sla_basis": (
            "p90 of today's waiting time plus p90 processing time per step"
            if log.has_start_timestamps
            else "p90 of today's time between the previous completion and the step's completion"
        ),
        "handoff_level": handoffs["level"].iloc[0] if len(handoffs) else None,
        "confidence_threshold": CONFIDENCE_THRESHOLD,
        "error_code": ERROR_CODE,
        "expression_language": "python",
        "case_variables": case_variables,
    }
    meta = {"noise_threshold": model.noise_threshold}
    return Blueprint(steps_df, routes, kpis, governance, nodes, flows, log.source, meta)


def _routes(log: EventLog, handoffs: pd.DataFrame, acts: pd.DataFrame) -> pd.DataFrame:
    """One orchestration step per activity that receives a material part of a failing handoff pair."""
    cols = ["id", "before_activity", "level", "handoffs", "sla_hours", "action"]
    failing = handoffs[handoffs["failing"]] if len(handoffs) else handoffs
    if failing is None or failing.empty:
        return pd.DataFrame(columns=cols)
    level = failing["level"].iloc[0]
    h = handover_table(log, level)
    flows = execute(handover_activity_flows(h))
    flows = flows.merge(
        failing[["source", "target", "failure", "count", "delay_hours_median"]].rename(
            columns={"count": "pair_count"}
        ),
        on=["source", "target"],
    )
    flows = flows[flows["count"] >= ROUTE_MIN_SHARE * flows["pair_count"]]
    rows = []
    for i, (activity, grp) in enumerate(
        sorted(flows.groupby("activity"), key=lambda kv: -kv[1]["count"].sum())
    ):
        pairs = (
            grp.sort_values(["count", "source", "target"], ascending=[False, True, True])
            .drop_duplicates(["source", "target"])
            .head(10)
        )
        rows.append(
            {
                "id": f"route_{i + 1}",
                "before_activity": activity,
                "level": level,
                "handoffs": [
                    {
                        "source": s,
                        "target": t,
                        "failure": f,
                        "count": int(c),
                        "delay_hours_median": round(float(d), 3),
                    }
                    for s, t, f, c, d in pairs[
                        ["source", "target", "failure", "count", "delay_hours_median"]
                    ].itertuples(index=False)
                ],
                "sla_hours": round(float(grp["delay_hours_p90"].max()), 3),
                "action": (
                    "route the case to the receiving " + level + " with its full context (documents, "
                    "history, the question to answer); start an SLA clock; escalate on breach; "
                    "answer queries inside the case instead of sending it back"
                ),
            }
        )
    return pd.DataFrame(rows, columns=cols)


#: An SLA timer is never shorter than this (hours): a handoff that is instant today (p90 of 0) would
#: otherwise breach at once.
MIN_SLA_HOURS = 1.0
#: What the orchestration step does about each failure pattern (:func:`analysis.find_handoff_failures`).
FAILURE_ACTIONS = {
    "ping-pong": "answer the receiving team's questions inside the case instead of sending it back",
    "rework": "send the reviewer's findings with the case, so the revision fixes them in one pass",
    "dropped-baton": "assign the case to a named owner on arrival and chase it when nobody picks it up",
    "escalation-bounce": "escalate with the full history, and close it at the higher level",
}


def _gateway_rules(readiness: Readiness) -> dict[str, list[dict]]:
    """The learned rules of the decisions a rule determines (readiness rule ``"rule"``), by activity.

    Each: ``outcome`` (the next activity), ``condition`` (str, the rule in words without its outcome),
    ``conditions`` (list of dict, machine-readable: attribute, operator, value, or_missing), ``support``,
    ``precision``.
    """
    s = readiness.scores
    determined = set(s.loc[s["rule"].isin(["rule", "equity_check"]), "activity"]) if "rule" in s else set()
    out: dict[str, list[dict]] = {}
    rules = readiness.decisions.rules
    for r in rules[rules["activity"].isin(determined)].itertuples():
        out.setdefault(r.activity, []).append(
            {
                "outcome": r.outcome,
                "condition": str(r.text).split(" → ")[0].split(" -> ")[0],
                "conditions": list(r.conditions),
                "support": int(r.support),
                "precision": round(float(r.precision), 4),
            }
        )
    return out


def _failure_routes(failures: HandoffFailures) -> pd.DataFrame:
    """One orchestration step per activity that receives a handoff failure, naming the failures."""
    cols = ["id", "before_activity", "level", "handoffs", "sla_hours", "action"]
    f = failures.failures
    if f.empty:
        return pd.DataFrame(columns=cols)
    order = (
        f.groupby("activity", sort=False)["hours_lost"]
        .sum()
        .sort_values(ascending=False, kind="stable")
        .index
    )
    rows = []
    for i, activity in enumerate(order):
        grp = f[f["activity"] == activity].head(10)
        p90 = grp["wait_hours_p90"].dropna()
        patterns = list(dict.fromkeys(grp["pattern"]))
        rows.append(
            {
                "id": f"route_{i + 1}",
                "before_activity": activity,
                "level": failures.level,
                "handoffs": [
                    {
                        "source": r.source,
                        "target": r.target,
                        "failure": r.pattern,
                        "after_activity": r.after_activity,
                        "cases": int(r.cases),
                        "count": int(r.count),
                        "hours_lost": round(float(r.hours_lost), 3),
                        "wait_hours_p90": None
                        if pd.isna(r.wait_hours_p90)
                        else round(float(r.wait_hours_p90), 3),
                    }
                    for r in grp.itertuples()
                ],
                "sla_hours": round(max(float(p90.max()), MIN_SLA_HOURS), 3) if len(p90) else None,
                "action": (
                    f"route the case to the receiving {failures.level} with its full context (documents, "
                    "history, the question to answer); start an SLA timer at today's p90 wait of this "
                    "handoff (at least one hour); alert the owner and escalate on breach; "
                    + "; ".join(FAILURE_ACTIONS.get(p, p) for p in patterns)
                    + f" (failure: {', '.join(patterns)})"
                ),
            }
        )
    return pd.DataFrame(rows, columns=cols)


class _Graph:
    """The executable graph under construction: node and flow rows with every column of the spec."""

    def __init__(self) -> None:
        self.nodes: list[dict] = []
        self.flows: list[dict] = []
        self._n = 0
        self._f = 0

    def add(self, kind: str, name: str, purpose: str, activity: str | None = None, **extra) -> str:
        self._n += 1
        nid = f"n{self._n}"
        row = dict.fromkeys(NODE_COLUMNS)
        row.update(id=nid, type=kind, name=name, purpose=purpose, activity=activity, **extra)
        self.nodes.append(row)
        return nid

    def link(self, a: str, b: str, name: str | None = None, **extra) -> str:
        self._f += 1
        fid = f"f{self._f}"
        row = dict.fromkeys(FLOW_COLUMNS)
        row.update(id=fid, source=a, target=b, name=name, is_default=False)
        row.update(extra)
        self.flows.append(row)
        return fid

    def node(self, nid: str) -> dict:
        return next(n for n in self.nodes if n["id"] == nid)

    def degree(self) -> tuple[Counter, Counter]:
        return Counter(f["source"] for f in self.flows), Counter(f["target"] for f in self.flows)


def _executable_graph(
    model: ProcessModel,
    steps: pd.DataFrame,
    routes: pd.DataFrame,
    rules: dict[str, list[dict]],
    personal: dict[str, list[str]],
    owners: dict[str, str],
    decision_points: set[str],
):
    """Rewrite the discovered BPMN into the executable blueprint graph (see ``docs/blueprint-bpmn.md``)."""
    g = _Graph()
    entry: dict[str, str] = {}
    exit_: dict[str, str] = {}
    entry_activity: dict[str, str] = {}  # fragment entry node -> activity
    last_step: dict[str, str] = {}  # activity -> the node after which the activity's work is done
    route_of = {r.before_activity: r for r in routes.itertuples()} if len(routes) else {}

    def governance(activity: str, rec: str, purpose: str, sla, extra_audit=None, retry=False) -> dict:
        audit = list(steps.loc[activity, "audit_events"]) if activity in steps.index else []
        if purpose == "route":
            audit = AUDIT_EVENTS["step"] + AUDIT_EVENTS["handoff"]
        elif purpose == "escalate":
            audit = list(AUDIT_EVENTS["sla"])
        elif purpose == "handle_error":
            audit = list(AUDIT_EVENTS["error"])
        return {
            "recommendation": rec,
            "sla_hours": None if sla is None or pd.isna(sla) else float(sla),
            "retry_policy": dict(RETRY_POLICY) if retry else None,
            "audit_events": audit,
            "personal_data": list(personal.get(activity, [])),
            "decision_owner": owners.get(activity) if activity in decision_points else None,
        }

    def service(activity: str, rec: str, name: str, purpose: str, sla, doc: str) -> tuple[str, str]:
        """A service task with its error boundary and the person who handles the failure."""
        gov = governance(activity, rec, purpose, sla, retry=True)
        if purpose == "ai_prepare":
            gov["confidence_threshold"] = CONFIDENCE_THRESHOLD
        t = g.add("serviceTask", name, purpose, activity, documentation=doc, governance=gov)
        b = g.add(
            "boundaryEvent",
            "Failed after retries",
            "error",
            activity,
            attached_to=t,
            event="error",
            interrupting=True,
            error_code=ERROR_CODE,
        )
        h = g.add(
            "userTask",
            HANDLER_NAMES[purpose] + activity,
            "handle_error",
            activity,
            documentation="The service task failed after its retry policy: a person does the work "
            "with the error and the case context, then the case continues.",
            governance=governance(activity, rec, "handle_error", None),
        )
        g.link(b, h)
        return t, h

    def human(activity: str, rec: str, name: str, purpose: str, sla, doc: str) -> str:
        """A user task with its non-interrupting SLA timer, the escalation and its end."""
        u = g.add(
            "userTask",
            name,
            purpose,
            activity,
            documentation=doc,
            governance=governance(activity, rec, purpose, sla),
        )
        hours_ = max(float(0 if sla is None or pd.isna(sla) else sla), MIN_SLA_HOURS)
        b = g.add(
            "boundaryEvent",
            f"SLA {hours_:.1f} h",
            "sla_timer",
            activity,
            attached_to=u,
            event="timer",
            interrupting=False,
            timer_hours=round(hours_, 3),
        )
        e = g.add(
            "serviceTask",
            f"Escalate SLA breach: {name}",
            "escalate",
            activity,
            documentation="The SLA timer fired: alert the step's owner; the work goes on.",
            governance=governance(activity, rec, "escalate", None),
        )
        x = g.add("endEvent", "SLA breach escalated", "end", None)
        g.link(b, e)
        g.link(e, x)
        return u

    for node in model.nodes.itertuples():
        activity = node.name if node.type == "task" else None
        if node.type != "task" or not activity:
            kind = _TYPES.get(node.type, node.type) if node.type != "task" else "exclusiveGateway"
            purpose = {"startEvent": "start", "endEvent": "end"}.get(kind, "merge")
            name = {"startEvent": "Start", "endEvent": "End"}.get(kind, "")
            nid = g.add(kind, name, purpose)
            entry[node.id] = exit_[node.id] = nid
            continue
        if activity not in steps.index:  # a task of the model the steps do not know: a person does it
            nid = human(activity, "keep_human", activity, "step", None, "An activity of the model.")
            entry[node.id] = exit_[node.id] = last_step[activity] = nid
            entry_activity[nid] = activity
            continue
        s = steps.loc[activity]
        rec, sla = s["recommendation"], s["sla_hours"]
        doc = f"Recommendation: {rec} (readiness {s['score']:.0f}/100). SLA target {sla:.1f} h."
        if s["approval_checkpoint"]:
            doc += " Approval checkpoint: a human decides the route of the case."
        first = cur = None
        route = route_of.get(activity)
        if route is not None:
            t, h = service(
                activity,
                rec,
                f"{ROUTE_PREFIX}{activity}",
                "route",
                route.sla_hours,
                f"Orchestration step at a failing handoff. {route.action}.",
            )
            m = g.add("exclusiveGateway", "", "merge")
            g.link(t, m)
            g.link(h, m)
            first, cur = t, m
        if rec == "automate":
            t, h = service(
                activity, rec, activity, "step", sla, doc + " Retry: 3 attempts, exponential backoff."
            )
            m = g.add("exclusiveGateway", "", "merge")
            g.link(t, m)
            g.link(h, m)
            start, cur_end = t, m
        elif rec == "ai_assist":
            t, h = service(
                activity,
                rec,
                f"AI prepares: {activity}",
                "ai_prepare",
                sla,
                doc + " AI drafts; retries as automated.",
            )
            check = g.add("exclusiveGateway", "AI confident?", "confidence_check", activity)
            review = human(
                activity, rec, f"Review: {activity}", "review", sla, doc + " A human checks and decides."
            )
            m = g.add("exclusiveGateway", "", "merge")
            g.link(t, check)
            dnf = [
                [{"variable": AI_CONFIDENCE, "op": "<", "value": CONFIDENCE_THRESHOLD}],
                [{"variable": AI_CONFIDENCE, "op": "is_missing", "value": None}],
            ]
            g.link(
                check,
                review,
                f"{AI_CONFIDENCE} < {CONFIDENCE_THRESHOLD}",
                condition=dnf_to_python(dnf),
                condition_dnf=dnf,
            )
            default = g.link(check, m, "confident", is_default=True)
            g.node(check)["default_flow"] = default
            g.link(review, m)
            g.link(h, m)
            start, cur_end = t, m
        else:
            text = doc + (" FIX FIRST: " + "; ".join(s["fix_first_reasons"]) if rec == "fix_first" else "")
            u = human(activity, rec, activity, "step", sla, text)
            start = cur_end = u
        if cur is not None:
            g.link(cur, start)
        entry[node.id] = first or start
        exit_[node.id] = last_step[activity] = cur_end
        entry_activity[entry[node.id]] = activity
    for f in model.flows.itertuples():
        g.link(exit_[f.source], entry[f.target])

    _normalise(g)
    case_variables = _decide(g, rules, last_step, entry_activity)
    tasks_of: dict[str, list[dict]] = {}
    for n in g.nodes:
        if n["type"] in ("serviceTask", "userTask") and n["activity"] is not None:
            tasks_of.setdefault(n["activity"], []).append(
                {"id": n["id"], "type": n["type"], "name": n["name"], "purpose": n["purpose"]}
            )
    nodes = pd.DataFrame(g.nodes, columns=NODE_COLUMNS)
    flows = pd.DataFrame(g.flows, columns=FLOW_COLUMNS)
    flows["is_default"] = flows["is_default"].astype(bool)
    return nodes, flows, tasks_of, case_variables


def _normalise(g: _Graph) -> None:
    """Make every gateway a split or a join and give every other node at most one flow in and one out.

    Gateways with one flow in and one out are dropped; duplicate flows at exclusive gateways are merged; a
    gateway with several flows in and out becomes a join followed by a split; a task or end event with
    several incoming flows gets an exclusive merge gateway before it (so engines never merge implicitly),
    and a node with several outgoing flows a parallel split after it (BPMN's uncontrolled flow).
    """
    gateways = lambda: {n["id"]: n for n in g.nodes if n["type"].endswith("Gateway")}  # noqa: E731
    changed = True
    while changed:
        changed = False
        gw = gateways()
        seen: set[tuple[str, str]] = set()
        keep = []
        for f in g.flows:
            key = (f["source"], f["target"])
            xor = any(gw.get(end, {}).get("type") == "exclusiveGateway" for end in key)
            if xor and key in seen and f["condition"] is None and not f["is_default"]:
                changed = True
                continue
            seen.add(key)
            keep.append(f)
        g.flows = keep
        out, into = g.degree()
        for nid, n in gw.items():
            if out[nid] == 1 and into[nid] == 1 and n["purpose"] == "merge":
                fin = next(f for f in g.flows if f["target"] == nid)
                fout = next(f for f in g.flows if f["source"] == nid)
                if fin["source"] == nid:
                    continue
                fin["target"] = fout["target"]
                fin["name"] = fin["name"] or fout["name"]
                g.flows.remove(fout)
                g.nodes.remove(n)
                changed = True
                break
    out, into = g.degree()
    for nid, n in list(gateways().items()):
        if out[nid] > 1 and into[nid] > 1:
            join = g.add(n["type"], "", "merge")
            for f in g.flows:
                if f["target"] == nid:
                    f["target"] = join
            g.link(join, nid)
    out, into = g.degree()
    for n in list(g.nodes):
        nid = n["id"]
        if n["type"].endswith("Gateway"):
            continue
        if into[nid] > 1:
            merge = g.add("exclusiveGateway", "", "merge")
            for f in g.flows:
                if f["target"] == nid:
                    f["target"] = merge
            g.link(merge, nid)
        if out[nid] > 1:
            split = g.add("parallelGateway", "", "split")
            for f in g.flows:
                if f["source"] == nid:
                    f["source"] = split
            g.link(nid, split)
    out, into = g.degree()
    for n in gateways().values():
        if n["purpose"] == "confidence_check":
            continue
        if out[n["id"]] > 1:
            n["purpose"] = "decision" if n["type"] == "exclusiveGateway" else "split"
        else:
            n["purpose"] = "merge"


def _distances_to_end(g: _Graph) -> dict[str, int]:
    """Flows from each node to the nearest end event of the main path (not an SLA escalation's end)."""
    ends = [n["id"] for n in g.nodes if n["type"] == "endEvent" and n["name"] != "SLA breach escalated"]
    back: dict[str, list[str]] = {}
    for f in g.flows:
        back.setdefault(f["target"], []).append(f["source"])
    dist = dict.fromkeys(ends, 0)
    queue = list(ends)
    while queue:
        nxt = []
        for node in queue:
            for src in back.get(node, []):
                if src not in dist:
                    dist[src] = dist[node] + 1
                    nxt.append(src)
        queue = nxt
    return dist


def _decide(g: _Graph, rules: dict, last_step: dict, entry_activity: dict) -> dict:
    """Conditions and default flows of every exclusive split; returns the case variables they read.

    A split right after a step whose decision a learned rule determines gets the rule's conditions (the
    flow to each outcome); every other split reads ``route_<gateway id>``, set by the task before it.
    """
    nodes = {n["id"]: n for n in g.nodes}
    out: dict[str, list[dict]] = {}
    for f in g.flows:
        out.setdefault(f["source"], []).append(f)
    splits = [n for n in g.nodes if n["purpose"] == "decision"]

    def first_activity(node: str, depth: int = 0) -> str | None:
        if node in entry_activity:
            return entry_activity[node]
        if depth > 6 or not nodes[node]["type"].endswith("Gateway"):
            return None
        found = {first_activity(f["target"], depth + 1) for f in out.get(node, [])} - {None}
        return found.pop() if len(found) == 1 else None

    decided_by: dict[str, str | None] = {}
    for activity in rules:
        node = last_step.get(activity)
        for _ in range(8):
            nxt = out.get(node, [])
            if len(nxt) != 1:
                break
            node = nxt[0]["target"]
            if nodes[node]["purpose"] == "decision":
                decided_by[node] = activity if node not in decided_by else None
                break
            if nodes[node]["purpose"] != "merge":
                break

    variables: dict[str, str] = {}
    case_variables: dict[str, dict] = {}
    for activity in sorted(a for a in set(decided_by.values()) if a):
        for r in rules[activity]:
            for c in r["conditions"]:
                if c["attribute"] not in variables:
                    name = _variable_name(c["attribute"], set(variables.values()) | {AI_CONFIDENCE})
                    variables[c["attribute"]] = name
    dist = _distances_to_end(g)
    used: set[str] = set()
    for gw in splits:
        flows = out[gw["id"]]
        activity = decided_by.get(gw["id"])
        if activity and _rule_conditions(flows, rules[activity], variables, first_activity):
            used |= {t["variable"] for f in flows for alt in (f["condition_dnf"] or []) for t in alt}
            gw["default_flow"] = next(f["id"] for f in flows if f["is_default"])
            continue
        var = f"{ROUTE_VARIABLE_PREFIX}{gw['id']}"
        default = min(flows, key=lambda f: dist.get(f["target"], 10**9))
        for f in flows:
            if f is default:
                f["is_default"] = True
            else:
                dnf = [[{"variable": var, "op": "==", "value": f["id"]}]]
                f["condition"], f["condition_dnf"] = dnf_to_python(dnf), dnf
        gw["decision_variable"], gw["default_flow"] = var, default["id"]
        case_variables[var] = {"source": "route", "attribute": None, "type": "string", "initial": None}
    numeric_ops = {"<", "<=", ">", ">="}
    for attribute, var in variables.items():
        if var in used:
            ops = {
                c["operator"]
                for rs in rules.values()
                for r in rs
                for c in r["conditions"]
                if c["attribute"] == attribute
            }
            kind = "number" if ops & numeric_ops else "string"
            case_variables[var] = {
                "source": "case attribute",
                "attribute": attribute,
                "type": kind,
                "initial": None,
            }
    if any(n["purpose"] == "ai_prepare" for n in g.nodes):
        case_variables[AI_CONFIDENCE] = {"source": "ai", "attribute": None, "type": "number", "initial": None}
    return dict(sorted(case_variables.items()))


def _rule_conditions(flows: list[dict], rules: list[dict], variables: dict, first_activity) -> bool:
    """Give the flows out of a rule-determined split the rules' guards; False when they do not fit."""
    by_outcome: dict[str, list[dict]] = {}
    for r in rules:
        by_outcome.setdefault(r["outcome"], []).append(r)
    reached = [first_activity(f["target"]) for f in flows]
    hits = [a for a in reached if a in by_outcome]
    if len(hits) != len(set(hits)) or len(flows) - len(hits) > 1 or not hits:
        return False
    support = {a: sum(r["support"] for r in by_outcome[a]) for a in hits}
    unguarded = [f for f, a in zip(flows, reached, strict=True) if a not in by_outcome]
    default = unguarded[0] if unguarded else flows[reached.index(max(hits, key=lambda a: support[a]))]
    for f, a in zip(flows, reached, strict=True):
        if a in by_outcome:
            f["name"] = " or ".join(dict.fromkeys(r["condition"] for r in by_outcome[a]))
        if f is default:
            f["is_default"] = True
            continue
        dnf: list[list[dict]] = []
        for r in by_outcome[a]:
            for alt in rule_dnf(r["conditions"], variables):
                if alt not in dnf:
                    dnf.append(alt)
        f["condition"], f["condition_dnf"] = dnf_to_python(dnf), dnf
    return True


def _kpis(
    log: EventLog, bottlenecks: Bottlenecks, handoffs: pd.DataFrame, failures: HandoffFailures | None = None
) -> dict:
    k = execute(process_kpis(log.tables().ordered)).iloc[0]
    cyc = bottlenecks.cycle
    delay = None
    ping = None
    if len(handoffs):
        h = handover_table(log, handoffs["level"].iloc[0])
        agg = execute(
            h.aggregate(delay=hours(h.delay_us).median(), ping=h.case_id.nunique(where=h.ping_pong))
        )
        delay, ping = agg["delay"].iloc[0], int(agg["ping"].iloc[0])
    ping_text = "cases in which work went straight back to its sender and was redone"
    failed = None
    if failures is not None:
        # Ping-pong proper: bouncing between people or teams without a quality gate; a review sending work
        # back is rework after a handoff, counted in handoff_failure_cases.
        ping = int(failures.ping_pong["case_id"].nunique()) if len(failures.ping_pong) else 0
        ping_text = "cases in which work bounced straight back between teams and was redone (no review)"
        cases = [failures.ping_pong, failures.rework_after_handoff, failures.dropped_batons]
        ids = set().union(*(set(c["case_id"]) for c in cases if len(c)))
        failed = len(ids)

    def kpi(value, unit, text):
        if value is None or pd.isna(value):
            base = None
        elif unit == "cases":
            base = int(value)
        else:
            base = round(float(value), 4)
        return {"baseline": base, "unit": unit, "description": text}

    return {
        "cycle_time_median": kpi(cyc["median"], "hours", "median cycle time of closed cases"),
        "cycle_time_p90": kpi(cyc["p90"], "hours", "p90 cycle time of closed cases"),
        "waiting_time_median": kpi(k.waiting_hours_median, "hours", "median waiting time before a step"),
        "waiting_time_total": kpi(k.waiting_hours_total, "hours", "total waiting time over all cases"),
        "rework_rate": kpi(
            k.rework_cases / k.cases if k.cases else None,
            "share of cases",
            "cases in which some activity is repeated",
        ),
        "handoff_delay_median": kpi(delay, "hours", "median delay at a handoff of work"),
        "ping_pong_cases": kpi(ping, "cases", ping_text),
        "stuck_cases": kpi(cyc["stuck_cases"], "cases", "open cases older than the p95 cycle time"),
        **(
            {}
            if failed is None
            else {
                "handoff_failure_cases": kpi(
                    failed,
                    "cases",
                    "cases with a failing handoff: ping-pong, rework after a handoff or a dropped baton",
                )
            }
        ),
    }
