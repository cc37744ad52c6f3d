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
from dataclasses import dataclass, field
from pathlib import Path

import graphviz
import pandas as pd

from analysis.bottlenecks import Bottlenecks
from analysis.bpmn_xml import to_bpmn_xml
from analysis.handoffs import HandoffFailures
from analysis.queries.handoffs import handover_activity_flows, handover_table
from analysis.queries.kpis import process_kpis
from analysis.readiness import Readiness
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
}
#: Name of the orchestration task inserted before an activity that receives a failing handoff.
ROUTE_PREFIX = "Route with context to: "
#: A handoff is routed before the activity that receives at least this share of the failing pair's
#: handovers.
ROUTE_MIN_SHARE = 0.1

#: The discovered model's node types as written in the blueprint (an inclusive gateway of the Inductive
#: Miner's conversion is drawn as an exclusive one).
_TYPES = {"inclusiveGateway": "exclusiveGateway"}


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
            "steps": _records(self.steps),
            "orchestration_steps": _records(self.orchestration),
            "kpis": self.kpis,
            "governance": self.governance,
            "bpmn": {"nodes": _records(self.nodes), "flows": _records(self.flows)},
        }

    def to_json(self, path: str | Path) -> Path:
        """Write ``blueprint.json``; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False), "utf-8")
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
    "automate": "#c8e6c9",
    "ai_assist": "#bbdefb",
    "keep_human": "#eeeeee",
    "fix_first": "#ffcdd2",
    "orchestration": "#e1bee7",
}


def plot_blueprint(blueprint: Blueprint) -> graphviz.Digraph:
    """Draw the blueprint's BPMN graph: tasks coloured by recommendation, gateways, start and end.

    The drawing follows BPMN 2.0 notation loosely (OMG, *Business Process Model and Notation 2.0.2*,
    2014): rounded boxes are tasks (a gear marks a ``serviceTask``; a ``userTask``, done by a person,
    has a thick border), diamonds are exclusive (×) or parallel (+) gateways, circles are the start and
    end events. Fill colours say what
    the step becomes: green automate, blue AI prepares and a human reviews, grey keep human, red fix
    first, purple an orchestration step inserted at a failing handoff. ``blueprint.bpmn`` holds the same
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
            routing = task["type"] == "serviceTask" and str(task["name"]).startswith(ROUTE_PREFIX)
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
            label = (
                html.escape(str(flow.name), quote=True) if isinstance(flow.name, str) and flow.name else None
            )
            g.edge(ids[flow.source], ids[flow.target], label=label)
    return g


def _clean(x):
    if isinstance(x, float) and pd.isna(x):
        return None
    if hasattr(x, "item") and not isinstance(x, (list, dict, str)):
        return x.item()
    return x


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


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

    nodes, flows, tasks_of = _bpmn_graph(model, steps_df.set_index("activity"), routes)
    steps_df["bpmn_tasks"] = steps_df["activity"].map(lambda a: tasks_of.get(a, []))
    steps_df["in_model"] = steps_df["activity"].isin(tasks_of)
    rules = _gateway_rules(readiness)
    steps_df["gateway_rules"] = steps_df["activity"].map(lambda a: rules.get(a, []))
    flows = _label_gateway_flows(nodes, flows, tasks_of, rules)
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
        "retry_policy": RETRY_POLICY,
        "audit_events": AUDIT_EVENTS,
        "approval_checkpoints": steps_df.loc[steps_df["approval_checkpoint"], "activity"].tolist(),
        "sla_basis": (
            "p90 of today's waiting time plus p90 processing time per step"
            if log.has_start_timestamps
            else "p90 of today's time between the previous completion and the step's completion"
        ),
        "handoff_level": handoffs["level"].iloc[0] if len(handoffs) else None,
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


def _label_gateway_flows(
    nodes: pd.DataFrame, flows: pd.DataFrame, tasks_of: dict, rules: dict
) -> pd.DataFrame:
    """Name the outgoing flows of the exclusive gateway after a rule-determined decision by its conditions.

    A flow is named when the first activity it leads to (through gateways) is an outcome of a rule; the
    rules of one outcome are joined by "or". The BPMN then reads as the rule: ``documents_submitted < 4``
    on the flow to *Request further information*.
    """
    if not rules or flows.empty:
        return flows
    flows = flows.copy()
    kind = dict(zip(nodes["id"], nodes["type"], strict=True))
    entry = {tasks[0]["id"]: a for a, tasks in tasks_of.items() if tasks}
    out: dict[str, list] = {}
    for f in flows.itertuples():
        out.setdefault(f.source, []).append(f)

    def first_activity(node: str, depth: int = 0) -> str | None:
        if node in entry:
            return entry[node]
        if depth > 6 or not str(kind.get(node, "")).endswith("Gateway"):
            return None
        found = {first_activity(f.target, depth + 1) for f in out.get(node, [])} - {None}
        return found.pop() if len(found) == 1 else None

    for activity, rs in rules.items():
        tasks = tasks_of.get(activity)
        if not tasks:
            continue
        conditions: dict[str, list[str]] = {}
        for r in rs:
            conditions.setdefault(r["outcome"], []).append(r["condition"])
        for f in out.get(tasks[-1]["id"], []):
            if kind.get(f.target) != "exclusiveGateway":
                continue
            for g in out.get(f.target, []):
                reached = first_activity(g.target)
                if reached in conditions:
                    flows.loc[flows["id"] == g.id, "name"] = " or ".join(dict.fromkeys(conditions[reached]))
    return flows


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


def _bpmn_graph(model: ProcessModel, steps: pd.DataFrame, routes: pd.DataFrame):
    """Rewrite the discovered BPMN into the blueprint graph (nodes, flows, tasks per activity)."""
    nodes: list[dict] = []
    flows: list[dict] = []
    entry: dict[str, str] = {}
    exit_: dict[str, str] = {}
    tasks_of: dict[str, list[dict]] = {}
    route_of = {r.before_activity: r for r in routes.itertuples()} if len(routes) else {}

    def add(kind: str, name: str, doc: str | None = None) -> str:
        nid = f"n{len(nodes) + 1}"
        nodes.append({"id": nid, "type": kind, "name": name, "documentation": doc})
        return nid

    def link(a: str, b: str, name: str | None = None) -> None:
        flows.append({"id": f"f{len(flows) + 1}", "source": a, "target": b, "name": name})

    for node in model.nodes.itertuples():
        if node.type != "task":
            nid = add(_TYPES.get(node.type, node.type), "")
            entry[node.id] = exit_[node.id] = nid
            continue
        activity = node.name
        if activity not in steps.index:  # a silent or unknown task: keep it as a plain task
            nid = add("task", activity or "")
            entry[node.id] = exit_[node.id] = nid
            continue
        s = steps.loc[activity]
        chain: list[str] = []
        route = route_of.get(activity)
        if route is not None:
            chain.append(
                add(
                    "serviceTask",
                    f"{ROUTE_PREFIX}{activity}",
                    f"Orchestration step at a failing handoff. {route.action}."
                    + ("" if route.sla_hours is None else f" SLA {route.sla_hours:.1f} h."),
                )
            )
        rec, sla = s["recommendation"], s["sla_hours"]
        doc = f"Recommendation: {rec} (readiness {s['score']:.0f}/100). SLA target {sla:.1f} h."
        if s["approval_checkpoint"]:
            doc += " Approval checkpoint: a human decides the route of the case."
        if rec == "automate":
            chain.append(add("serviceTask", activity, doc + " Retry: 3 attempts, exponential backoff."))
        elif rec == "ai_assist":
            chain.append(
                add("serviceTask", f"AI prepares: {activity}", doc + " AI drafts; retries as automated.")
            )
            chain.append(add("userTask", f"Review: {activity}", doc + " A human checks and decides."))
        elif rec == "fix_first":
            chain.append(add("userTask", activity, doc + " FIX FIRST: " + "; ".join(s["fix_first_reasons"])))
        else:
            chain.append(add("userTask", activity, doc))
        for a, b in zip(chain, chain[1:], strict=False):
            link(a, b)
        entry[node.id], exit_[node.id] = chain[0], chain[-1]
        tasks_of[activity] = [
            {"id": n["id"], "type": n["type"], "name": n["name"]} for n in nodes if n["id"] in chain
        ]
    for f in model.flows.itertuples():
        link(exit_[f.source], entry[f.target])
    return (
        pd.DataFrame(nodes, columns=["id", "type", "name", "documentation"]),
        pd.DataFrame(flows, columns=["id", "source", "target", "name"]),
        tasks_of,
    )


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
