"""Synthetic event log of a UK council's planning-permit process, with problems planted on purpose.

A discrete-event simulation (SimPy) of how a council handles planning applications. Its output,
``council_permits.csv``, is a test log whose faults are known in advance, so that flowready's analysis
can be checked against a ground truth (``truth.json``).

The process
-----------
1000 applications arrive around the clock as a Poisson process from Monday 2025-01-06; a rush ahead of a
rule change doubles the rate from 3 February to 11 March. The export is taken at 00:00 UTC on Wednesday
2025-06-04: events not finished by then are not in the log. The validation clerks work Monday to Friday,
09:00-17:00 UTC; every other team, system and party works around the clock.

===  ===============================  ===========================  =========================================
#    activity                         resource / role              duration and routing
===  ===============================  ===========================  =========================================
1    Receive application              Portal / Digital (system)    1 min
2    Validate documents               clerk_01..04 / Validation    8-12 min, office hours
3    Calculate fee                    rpa_fee_bot / Digital (bot)  1-2 min
4    Screen application               clerk / Validation           3-6 min; documents_submitted < 4 -> 5
5    Request further information      clerk / Validation           5-10 min
6    Provide further information      Applicant / Applicant        the applicant answers 2-14 days later
7    Check further information        clerk / Validation           5-10 min
8    Assess application               officer_01..02 / Assessment  lognormal, CV 1.3, <= 48 h
9    Consult Highways                 engineer_01..02 / Highways   1-2 h; 40/55/80 % of the types
9a   Answer Highways query            officer / Assessment         1-3 h; then 9 again
10   Quality review                   senior_01..02 / Senior       30-60 min; fails 25 % (then 12 %)
10a  Revise assessment                officer / Assessment         lognormal, mean 2.5 h; then 10 again
11   Decide application               senior / Senior              lognormal, mean 5 h, 1-8 h
12   Issue approval / Issue refusal   senior / Senior              15-30 min; refusals depend on channel
13   Update planning register         admin_01..02 / Admin         5-8 min
14   Send decision letter             mailroom_01 / Mailroom       ~2 min, in the Friday 15:00 run
15   Close case                       SYSTEM / Digital (system)    1 min
===  ===============================  ===========================  =========================================

Planted effects (the truth the analysis should find)
----------------------------------------------------
Why cases wait (each cause is the dominant one on its own step):

* **Resource contention** -- ``Assess application``: two case officers, busy most of the log, with a
  backlog of weeks after the February rush; the largest total waiting of the log.
* **Batching** -- ``Send decision letter``: letters wait for the weekly Friday 15:00 run.
* **Extraneous** -- ``Provide further information``: the wait is the applicant's own time.
* **Resource unavailability** -- ``Validate documents``: applications arrive around the clock, the clerks
  work office hours and are rarely all busy, so the wait is nights and weekends only; it is not a
  bottleneck that capacity would fix.
* **Prioritisation** -- ``Quality review``: the senior planners take decisions (and urgent cases) before
  reviews, so reviews are overtaken by work that arrived after them.

Handoffs and who does the work:

* An internal **ping-pong** between Assessment and Highways (Consult Highways, Answer Highways query).
* A **request-response loop with the applicant** (Validation -> Applicant -> Validation): waiting on the
  customer, not a team bouncing work.
* **Dropped batons** after Issue approval / Issue refusal (Senior -> Admin): in ~6 % of the cases the
  decided case sits 14-35 days before Admin updates the register; usually it takes minutes.
* A **smooth handoff**: Validation -> Digital (Validate documents -> Calculate fee).
* Performers of four kinds: people (clerks, officers, engineers, seniors, admins, the mailroom),
  systems (``Portal``, ``SYSTEM``), a bot (``rpa_fee_bot``) and an outside party (``Applicant``).

Readiness:

* Rule-like, high-volume step -- ``Validate documents`` (every case once, fixed place, CV ~0.12).
* A decision decided by a case attribute with a clear threshold -- ``Screen application``:
  ``documents_submitted < 4`` -> Request further information, otherwise Assess application.
* A judgment step -- ``Decide application``: every case, always after Quality review, dispersed
  handling time, done by two specialists; approval or refusal is not predictable from the attributes.
* A routine step after a merge -- ``Update planning register`` (after Issue approval | Issue refusal);
  it only receives work from the pair whose batons are dropped, and is not fix-first for it.
* A rework loop -- Quality review -> Revise assessment -> Quality review (fix first).
* Equity -- refusals at ``Decide application`` differ by ``channel`` (paper applications are refused
  about twice as often as online ones), although channel plays no part in the rules.
* Already automated -- Receive application, Calculate fee, Close case.

:func:`check` recomputes these facts from the table alone (plain pandas, and an independent
plain-Python attribution of waiting time with the true calendars) and asserts them.

Run ``python sample_logs/generate.py`` to rewrite ``council_permits.csv`` and ``truth.json`` next to
this file. The output is deterministic for a given seed (one ``random.Random``, no global state).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import simpy

HERE = Path(__file__).resolve().parent
CSV_NAME = "council_permits.csv"
TRUTH_NAME = "truth.json"

#: Simulation clock: minutes since this instant (a Monday).
EPOCH = pd.Timestamp("2025-01-06T00:00:00", tz="UTC")
MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

RECEIVE_MINUTES = 1.0
CLOSE_MINUTES = 1.0

COLUMNS = [
    "case_id",
    "activity",
    "start_time",
    "end_time",
    "resource",
    "role",
    "application_type",
    "ward",
    "channel",
    "documents_submitted",
    "priority",
]

# Activities.
RECEIVE = "Receive application"
VALIDATE = "Validate documents"
FEE = "Calculate fee"
SCREEN = "Screen application"
REQUEST = "Request further information"
PROVIDE = "Provide further information"
CHECK = "Check further information"
ASSESS = "Assess application"
CONSULT = "Consult Highways"
ANSWER = "Answer Highways query"
REVIEW = "Quality review"
REVISE = "Revise assessment"
DECIDE = "Decide application"
APPROVE = "Issue approval"
REFUSE = "Issue refusal"
REGISTER = "Update planning register"
LETTER = "Send decision letter"
CLOSE = "Close case"
#: In process order.
ACTIVITIES = [
    RECEIVE,
    VALIDATE,
    FEE,
    SCREEN,
    REQUEST,
    PROVIDE,
    CHECK,
    ASSESS,
    CONSULT,
    ANSWER,
    REVIEW,
    REVISE,
    DECIDE,
    APPROVE,
    REFUSE,
    REGISTER,
    LETTER,
    CLOSE,
]

# Roles (teams) and the outside party.
DIGITAL = "Digital"
VALIDATION = "Validation"
APPLICANT = "Applicant"
ASSESSMENT = "Assessment"
HIGHWAYS = "Highways"
SENIOR = "Senior"
ADMIN = "Admin"
MAILROOM = "Mailroom"

PORTAL = "Portal"
SYSTEM = "SYSTEM"
FEE_BOT = "rpa_fee_bot"
MAILROOM_CLERK = "mailroom_01"

APPLICATION_TYPES = ("householder", "minor", "major")
WARDS = ("Abbey", "Castle", "Hillside", "Northgate", "Riverside", "Westfield")
CHANNELS = ("online", "paper")
PRIORITIES = ("normal", "urgent")

# Priorities of the case officers' queue (lower is served first): work on cases already in progress
# (answering Highways, revising after review) comes before starting a new assessment.
PRIORITY_FOLLOW_UP = 0
PRIORITY_NEW = 1


@dataclass(frozen=True)
class Params:
    """Knobs of the simulation. Durations are in minutes."""

    #: Mean time between applications outside the rush; with the rush it sets the length of the window.
    mean_interarrival: float = 4.4 * MINUTES_PER_HOUR
    #: A rush of applications (ahead of a rule change): ``surge_factor`` times the usual rate, starting
    #: after ``surge_start_share`` of the window, for ``surge_length_share`` of it. With 1000 cases:
    #: 3 Feb - 10 Mar 2025.
    surge_start_share: float = 0.19
    surge_length_share: float = 0.24
    surge_factor: float = 2.0
    #: The export runs at 00:00 UTC on this weekday (Monday = 0).
    export_weekday: int = 2
    type_weights: tuple[float, float, float] = (0.60, 0.30, 0.10)
    ward_weights: tuple[float, ...] = (0.22, 0.12, 0.18, 0.16, 0.20, 0.12)
    channel_weights: tuple[float, float] = (0.70, 0.30)
    urgent_share: float = 0.15
    #: P(documents_submitted = 1..8); P(< 4) = 0.25.
    documents_weights: tuple[float, ...] = (0.04, 0.08, 0.13, 0.20, 0.22, 0.17, 0.10, 0.06)
    #: Screening rule: fewer documents than this -> the applicant is asked for more.
    documents_required: int = 4

    clerks: int = 4
    #: The clerks' working week: weekdays (Monday = 0) and the hours of the day, UTC.
    office_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    office_open_minute: int = 9 * 60
    office_close_minute: int = 17 * 60
    validate_min: float = 8.0
    validate_max: float = 12.0
    screen_min: float = 3.0
    screen_max: float = 6.0
    request_min: float = 5.0
    request_max: float = 10.0
    #: The applicant answers a request this many days later (uniform, any hour).
    applicant_min_days: float = 2.0
    applicant_max_days: float = 14.0

    officers: int = 2
    #: Mean assessment time per application type; lognormal with coefficient of variation ``assess_cv``.
    assess_mean: tuple[float, float, float] = (3.5 * 60, 6.0 * 60, 14.0 * 60)
    assess_cv: float = 1.3
    assess_max: float = 48 * 60.0
    answer_min: float = 60.0
    answer_max: float = 180.0
    revise_mean: float = 2.5 * 60
    revise_cv: float = 0.6

    engineers: int = 2
    #: Probability that Highways is consulted, per application type.
    consult_prob: tuple[float, float, float] = (0.40, 0.55, 0.80)
    consult_min: float = 60.0
    consult_max: float = 120.0
    #: Probability that Highways sends a query back after its 1st / 2nd consultation (no 3rd query).
    query_prob: tuple[float, float] = (0.70, 0.50)
    #: Work for other council departments that keeps the engineers busy (not in the log).
    external_interarrival: float = 1.8 * MINUTES_PER_HOUR
    external_min: float = 60.0
    external_max: float = 180.0

    seniors: int = 2
    review_min: float = 30.0
    review_max: float = 60.0
    #: Probability that the 1st / 2nd quality review fails (a 3rd review always passes).
    review_fail_prob: tuple[float, float] = (0.25, 0.12)
    decide_mean: float = 5.0 * 60
    decide_cv: float = 0.7
    decide_min: float = 60.0
    decide_max: float = 8 * 60.0
    #: Probability of approval per channel: refusals of paper applications are twice as frequent.
    approve_prob: tuple[float, float] = (0.78, 0.56)
    issue_min: float = 15.0
    issue_max: float = 30.0

    admins: int = 2
    register_min: float = 5.0
    register_max: float = 8.0
    #: Share of decided cases whose handoff to Admin is dropped, and how long they then sit (days).
    dropped_baton_prob: float = 0.06
    dropped_min_days: float = 14.0
    dropped_max_days: float = 35.0

    #: Weekly letter run: weekday (Monday = 0) and minute of the day.
    batch_weekday: int = 4
    batch_minute: int = 15 * 60
    letter_min: float = 1.5
    letter_max: float = 2.5


@dataclass
class Case:
    """One planning application."""

    case_id: str
    application_type: str
    ward: str
    channel: str
    documents_submitted: int
    priority: str
    dropped_baton: bool = False


@dataclass
class Row:
    """One activity instance; times in simulation minutes."""

    case_id: str
    activity: str
    start: float
    end: float
    resource: str
    role: str
    application_type: str
    ward: str
    channel: str
    documents_submitted: int
    priority: str


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A lognormal draw with the given mean and coefficient of variation."""
    sigma2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


def office_is_open(minute: float, params: Params) -> bool:
    """Whether the clerks' office is open at simulation ``minute``."""
    day = int(minute // MINUTES_PER_DAY)
    in_day = minute - day * MINUTES_PER_DAY
    return day % 7 in params.office_days and params.office_open_minute <= in_day < params.office_close_minute


def next_opening(minute: float, params: Params) -> float:
    """The first instant at or after ``minute`` at which the office is open."""
    if office_is_open(minute, params):
        return minute
    day = int(minute // MINUTES_PER_DAY)
    in_day = minute - day * MINUTES_PER_DAY
    if day % 7 in params.office_days and in_day < params.office_open_minute:
        return day * MINUTES_PER_DAY + params.office_open_minute
    day += 1
    while day % 7 not in params.office_days:
        day += 1
    return day * MINUTES_PER_DAY + params.office_open_minute


class StaffPool:
    """A team of named people sharing one priority queue; whoever has been free longest takes the work."""

    def __init__(self, env: simpy.Environment, role: str, prefix: str, size: int) -> None:
        self.role = role
        self.names = [f"{prefix}_{i:02d}" for i in range(1, size + 1)]
        self.queue = simpy.PriorityResource(env, capacity=size)
        self._free = deque(self.names)

    def take(self) -> str:
        """Name of a free person (call right after the queue granted a slot)."""
        return self._free.popleft()

    def give_back(self, name: str) -> None:
        """Mark a person free again (call right before releasing the slot)."""
        self._free.append(name)


class OfficeTeam:
    """Clerks who work office hours only: they take jobs first come, first served, while the office is open.

    A clerk who is idle when a job arrives out of hours keeps it and starts it at the next opening; a job
    started before closing time is finished, even if that runs a few minutes past 17:00.
    """

    def __init__(self, office: PermitOffice, role: str, prefix: str, size: int) -> None:
        self.office = office
        self.role = role
        self.names = [f"{prefix}_{i:02d}" for i in range(1, size + 1)]
        self.jobs = simpy.Store(office.env)
        for name in self.names:
            office.env.process(self._work(name))

    def do(self, case: Case, activity: str, minutes: Callable[[], float]) -> simpy.Event:
        """Queue a job; the returned event fires when it is done."""
        done = self.office.env.event()
        self.jobs.put((case, activity, minutes, done))
        return done

    def _work(self, name: str) -> Generator[Any, Any, None]:
        env, p = self.office.env, self.office.params
        while True:
            yield env.timeout(next_opening(env.now, p) - env.now)
            case, activity, minutes, done = yield self.jobs.get()
            yield env.timeout(next_opening(env.now, p) - env.now)
            start = env.now
            yield env.timeout(minutes())
            self.office.record(case, activity, start, name, self.role)
            done.succeed()


class Mailroom:
    """Letters wait for the weekly run, then go out one after the other."""

    def __init__(self, office: PermitOffice) -> None:
        self.office = office
        self.pending: list[tuple[Case, simpy.Event]] = []

    def post(self, case: Case) -> simpy.Event:
        """Queue a letter; the returned event fires when it has been sent."""
        done = self.office.env.event()
        self.pending.append((case, done))
        return done

    def next_run(self, now: float) -> float:
        """Simulation minute of the next weekly run strictly after ``now``."""
        p = self.office.params
        offset = p.batch_weekday * MINUTES_PER_DAY + p.batch_minute  # EPOCH is a Monday 00:00
        weeks = math.floor((now - offset) / MINUTES_PER_WEEK) + 1
        return offset + weeks * MINUTES_PER_WEEK

    def run(self) -> Generator[simpy.Event, Any, None]:
        """The mailroom's weekly routine (never ends)."""
        env, rng, p = self.office.env, self.office.rng, self.office.params
        while True:
            yield env.timeout(self.next_run(env.now) - env.now)
            batch, self.pending = self.pending, []
            for case, done in batch:
                start = env.now
                yield env.timeout(rng.uniform(p.letter_min, p.letter_max))
                self.office.record(case, LETTER, start, MAILROOM_CLERK, MAILROOM)
                done.succeed()


class PermitOffice:
    """The council's planning department: teams, routing rules and the log they produce."""

    def __init__(self, env: simpy.Environment, rng: random.Random, params: Params) -> None:
        self.env = env
        self.rng = rng
        self.params = params
        self.rows: list[Row] = []
        self.cases: list[Case] = []
        self.clerks = OfficeTeam(self, VALIDATION, "clerk", params.clerks)
        self.officers = StaffPool(env, ASSESSMENT, "officer", params.officers)
        self.engineers = StaffPool(env, HIGHWAYS, "engineer", params.engineers)
        self.seniors = StaffPool(env, SENIOR, "senior", params.seniors)
        self.admins = StaffPool(env, ADMIN, "admin", params.admins)
        self.mailroom = Mailroom(self)

    # -- building blocks -------------------------------------------------------------------------

    def record(self, case: Case, activity: str, start: float, resource: str, role: str) -> None:
        """Log an activity instance that ends now."""
        self.rows.append(
            Row(
                case.case_id,
                activity,
                start,
                self.env.now,
                resource,
                role,
                case.application_type,
                case.ward,
                case.channel,
                case.documents_submitted,
                case.priority,
            )
        )

    def system(
        self, case: Case, activity: str, resource: str, minutes: float, role: str = DIGITAL
    ) -> Generator[Any, Any, None]:
        """An automated step (a system or a bot): no queue."""
        start = self.env.now
        yield self.env.timeout(minutes)
        self.record(case, activity, start, resource, role)

    def staffed(
        self,
        case: Case,
        activity: str,
        pool: StaffPool,
        minutes: Callable[[], float],
        priority: int = PRIORITY_NEW,
    ) -> Generator[Any, Any, None]:
        """A human step: wait for someone of ``pool``, then work ``minutes()``."""
        with pool.queue.request(priority=priority) as slot:
            yield slot
            who = pool.take()
            start = self.env.now
            yield self.env.timeout(minutes())
            self.record(case, activity, start, who, pool.role)
            pool.give_back(who)

    def external_highways_work(self) -> Generator[Any, Any, None]:
        """Requests from other departments that occupy the engineers (not part of this log)."""
        p = self.params
        while True:
            yield self.env.timeout(self.rng.expovariate(1.0 / p.external_interarrival))
            self.env.process(self._one_external_job(self.rng.uniform(p.external_min, p.external_max)))

    def _one_external_job(self, minutes: float) -> Generator[Any, Any, None]:
        with self.engineers.queue.request(priority=PRIORITY_NEW) as slot:
            yield slot
            who = self.engineers.take()
            yield self.env.timeout(minutes)
            self.engineers.give_back(who)

    @staticmethod
    def senior_priority(case: Case, decision: bool) -> int:
        """The seniors' queue: decisions before reviews, urgent cases first within each (lower first)."""
        return (0 if decision else 2) + (0 if case.priority == "urgent" else 1)

    # -- the process -----------------------------------------------------------------------------

    def handle(self, case: Case) -> Generator[Any, Any, None]:
        """Everything that happens to one application."""
        p, rng = self.params, self.rng
        kind = APPLICATION_TYPES.index(case.application_type)

        yield from self.system(case, RECEIVE, PORTAL, RECEIVE_MINUTES)
        yield self.clerks.do(case, VALIDATE, lambda: rng.uniform(p.validate_min, p.validate_max))
        yield from self.system(case, FEE, FEE_BOT, rng.uniform(1.0, 2.0))
        yield self.clerks.do(case, SCREEN, lambda: rng.uniform(p.screen_min, p.screen_max))

        # Request-response with the applicant: the rule of the screening step.
        if case.documents_submitted < p.documents_required:
            yield self.clerks.do(case, REQUEST, lambda: rng.uniform(p.request_min, p.request_max))
            days = rng.uniform(p.applicant_min_days, p.applicant_max_days)
            yield self.env.timeout(days * MINUTES_PER_DAY)
            self.record(case, PROVIDE, self.env.now, APPLICANT, APPLICANT)  # an upload: no duration
            yield self.clerks.do(case, CHECK, lambda: rng.uniform(p.request_min, p.request_max))

        assess_mean = p.assess_mean[kind]
        yield from self.staffed(
            case, ASSESS, self.officers, lambda: min(lognormal(rng, assess_mean, p.assess_cv), p.assess_max)
        )

        # Ping-pong: Highways may send a query back to the case officer, once or twice.
        if rng.random() < p.consult_prob[kind]:
            queries = 0
            while True:
                yield from self.staffed(
                    case, CONSULT, self.engineers, lambda: rng.uniform(p.consult_min, p.consult_max)
                )
                if queries == len(p.query_prob) or rng.random() >= p.query_prob[queries]:
                    break
                queries += 1
                yield from self.staffed(
                    case,
                    ANSWER,
                    self.officers,
                    lambda: rng.uniform(p.answer_min, p.answer_max),
                    priority=PRIORITY_FOLLOW_UP,
                )

        # Rework loop: a failed quality review sends the assessment back for revision. Reviews wait
        # behind decisions (prioritisation).
        fails = 0
        while True:
            yield from self.staffed(
                case,
                REVIEW,
                self.seniors,
                lambda: rng.uniform(p.review_min, p.review_max),
                priority=self.senior_priority(case, decision=False),
            )
            if fails == len(p.review_fail_prob) or rng.random() >= p.review_fail_prob[fails]:
                break
            fails += 1
            yield from self.staffed(
                case,
                REVISE,
                self.officers,
                lambda: lognormal(rng, p.revise_mean, p.revise_cv),
                priority=PRIORITY_FOLLOW_UP,
            )

        # Judgment step, then the branch.
        yield from self.staffed(
            case,
            DECIDE,
            self.seniors,
            lambda: min(max(lognormal(rng, p.decide_mean, p.decide_cv), p.decide_min), p.decide_max),
            priority=self.senior_priority(case, decision=True),
        )
        approve = p.approve_prob[CHANNELS.index(case.channel)]
        outcome = APPROVE if rng.random() < approve else REFUSE
        yield from self.staffed(
            case,
            outcome,
            self.seniors,
            lambda: rng.uniform(p.issue_min, p.issue_max),
            priority=self.senior_priority(case, decision=True),
        )

        # Dropped baton: sometimes nobody picks the decided case up for weeks.
        if rng.random() < p.dropped_baton_prob:
            case.dropped_baton = True
            yield self.env.timeout(rng.uniform(p.dropped_min_days, p.dropped_max_days) * MINUTES_PER_DAY)
        yield from self.staffed(
            case, REGISTER, self.admins, lambda: rng.uniform(p.register_min, p.register_max)
        )

        # Batch: the letter waits for the Friday run.
        yield self.mailroom.post(case)
        yield from self.system(case, CLOSE, SYSTEM, CLOSE_MINUTES)

    def arrivals(self, times: list[float]) -> Generator[Any, Any, None]:
        """Create one application at each of the (sorted) ``times``."""
        p, rng = self.params, self.rng
        width = max(4, len(str(len(times))))
        for i, t in enumerate(times, start=1):
            yield self.env.timeout(t - self.env.now)
            case = Case(
                case_id=f"PP-{i:0{width}d}",
                application_type=rng.choices(APPLICATION_TYPES, weights=p.type_weights)[0],
                ward=rng.choices(WARDS, weights=p.ward_weights)[0],
                channel=rng.choices(CHANNELS, weights=p.channel_weights)[0],
                documents_submitted=rng.choices(range(1, 9), weights=p.documents_weights)[0],
                priority="urgent" if rng.random() < p.urgent_share else "normal",
            )
            self.cases.append(case)
            self.env.process(self.handle(case))


@dataclass(frozen=True)
class Window:
    """Applications arrive in ``[0, export)``, faster in ``[surge_start, surge_end)`` (simulation minutes)."""

    export: float
    surge_start: float
    surge_end: float


def arrival_window(n_cases: int, params: Params) -> Window:
    """The window that ``n_cases`` applications fill at the configured rates.

    Its end, the export instant, is the 00:00 UTC on ``params.export_weekday`` nearest to where the
    expected number of arrivals reaches ``n_cases``; the rush boundaries are rounded to whole days.
    """
    p = params
    weighted_length = 1 + (p.surge_factor - 1) * p.surge_length_share  # in units of the window
    raw_days = n_cases * p.mean_interarrival / weighted_length / MINUTES_PER_DAY
    # Day d starts on weekday d % 7, since EPOCH is a Monday.
    candidates = [d for d in range(1, math.ceil(raw_days) + 8) if d % 7 == p.export_weekday]
    days = min(candidates, key=lambda d: (abs(d - raw_days), d))
    start = round(p.surge_start_share * days)
    end = min(start + max(1, round(p.surge_length_share * days)), days)
    return Window(days * MINUTES_PER_DAY, start * MINUTES_PER_DAY, end * MINUTES_PER_DAY)


def arrival_times(n_cases: int, window: Window, params: Params, rng: random.Random) -> list[float]:
    """Arrival instants of a Poisson process with a stepped rate, conditioned on ``n_cases`` arrivals.

    Given its count, the points of a Poisson process on a window are independent draws from the density
    proportional to its rate, so: pick a segment by its expected count, then a uniform instant in it.
    The last minute before the export is left out, so that every case is received before it.
    """
    segments = [
        (0.0, window.surge_start, 1.0),
        (window.surge_start, window.surge_end, params.surge_factor),
        (window.surge_end, window.export - RECEIVE_MINUTES, 1.0),
    ]
    weights = [(b - a) * rate for a, b, rate in segments]
    chosen = rng.choices(segments, weights=weights, k=n_cases)
    return sorted(rng.uniform(a, b) for a, b, _ in chosen)


def _to_timestamps(minutes: pd.Series) -> pd.Series:
    """Simulation minutes -> UTC timestamps at second resolution."""
    seconds = (minutes * 60.0).round().astype("int64")
    return EPOCH + pd.to_timedelta(seconds, unit="s")


def generate(n_cases: int = 1000, seed: int = 7, params: Params | None = None) -> pd.DataFrame:
    """Simulate ``n_cases`` applications and return the exported event log.

    Parameters
    ----------
    n_cases : int
        Number of applications that arrive.
    seed : int
        Seed of the only random generator used; the same seed gives the same log.
    params : Params, optional
        Simulation knobs; the defaults are the ones the truth file describes.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``start_time`` and ``end_time`` are tz-aware UTC timestamps. Rows are
        sorted by ``end_time`` then ``case_id``, like a system export. Events that had not finished at
        the export instant are left out, so some cases are open. ``attrs`` holds the export instant,
        the rush and the ids of the cases whose baton was dropped (``dropped_baton_cases``).
    """
    params = params or Params()
    rng = random.Random(seed)
    env = simpy.Environment()
    office = PermitOffice(env, rng, params)
    window = arrival_window(n_cases, params)
    env.process(office.arrivals(arrival_times(n_cases, window, params, rng)))
    env.process(office.mailroom.run())
    env.process(office.external_highways_work())
    env.run(until=window.export)  # events are logged when they end: the log stops at the export

    df = pd.DataFrame([asdict(r) for r in office.rows])
    df["start_time"] = _to_timestamps(df.pop("start"))
    df["end_time"] = _to_timestamps(df.pop("end"))
    df = df[COLUMNS].sort_values(["end_time", "case_id", "start_time"], kind="stable").reset_index(drop=True)
    instants = _to_timestamps(pd.Series([window.export, window.surge_start, window.surge_end]))
    names = ("export_time", "surge_start", "surge_end")
    df.attrs.update(zip(names, (t.isoformat() for t in instants), strict=True))
    registered = set(df.loc[df["activity"] == REGISTER, "case_id"])
    df.attrs["dropped_baton_cases"] = sorted(
        c.case_id for c in office.cases if c.dropped_baton and c.case_id in registered
    )
    return df


# -- an independent attribution of waiting time (plain Python, true calendars) ----------------------

CAUSES = ("batching", "contention", "prioritisation", "unavailability", "extraneous")


def _union(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Disjoint, sorted union of half-open intervals."""
    out: list[list[float]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _minus(base: list[tuple[float, float]], cut: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``base`` minus ``cut`` (both disjoint and sorted)."""
    out = []
    for a, b in base:
        pieces = [(a, b)]
        for c, d in cut:
            nxt = []
            for x, y in pieces:
                if d <= x or c >= y:
                    nxt.append((x, y))
                    continue
                if c > x:
                    nxt.append((x, c))
                if d < y:
                    nxt.append((d, y))
            pieces = nxt
        out.extend(pieces)
    return out


def _length(intervals: Iterable[tuple[float, float]]) -> float:
    return sum(b - a for a, b in intervals)


def _off_office(a: float, b: float, params: Params) -> float:
    """Minutes of ``[a, b)`` (simulation minutes) outside the clerks' office hours."""
    off, t = 0.0, a
    while t < b:
        day = math.floor(t / MINUTES_PER_DAY)
        day_start = day * MINUTES_PER_DAY
        day_end = min(b, day_start + MINUTES_PER_DAY)
        if day % 7 in params.office_days:
            lo, hi = day_start + params.office_open_minute, day_start + params.office_close_minute
            inside = max(0.0, min(day_end, hi) - max(t, lo))
            off += (day_end - t) - inside
        else:
            off += day_end - t
        t = day_end
    return off


def attribute_waiting(log: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Split the waiting before every event into the five causes of Lashkevich et al. (2023).

    A deliberately plain implementation with the *true* calendars (the clerks work office hours, every
    other performer around the clock), independent of flowready's engine: it is the oracle the engine's
    set-based attribution is checked against. Batches are grouped by pix-framework's
    ``discover_batches``; the rest follows the paper: batching is the wait from enabling until the last
    instance of the batch was enabled; contention (prioritisation) is time in which the performer was
    processing other instances enabled no later (later) than this one; unavailability is what remains
    outside the performer's calendar; extraneous is the rest. One refinement of the paper's order: the
    wait for a batch counts as batching only while the performer is on duty (a backlog taken up at the
    start of a shift waited on the performer's absence, not on a batch); its off-duty part is
    unavailability.

    Returns
    -------
    pandas.DataFrame
        One row per event with a predecessor in its case: ``case_id``, ``activity``, ``resource``,
        ``wait_h`` and one column of hours per cause in :data:`CAUSES`.
    """
    from pix_framework.discovery.batch_processing.discovery import discover_batches
    from pix_framework.io.event_log import EventLogIDs

    d = log.copy()
    d["start_time"] = pd.to_datetime(d["start_time"], utc=True)
    d["end_time"] = pd.to_datetime(d["end_time"], utc=True)
    d = d.sort_values(["case_id", "end_time", "start_time"], kind="stable").reset_index(drop=True)
    d["enabled_time"] = d.groupby("case_id")["end_time"].shift()
    d["enabled_time"] = d["enabled_time"].fillna(d["start_time"])
    ids = EventLogIDs(
        case="case_id",
        activity="activity",
        resource="resource",
        start_time="start_time",
        end_time="end_time",
        enabled_time="enabled_time",
        batch_id="batch_id",
        batch_type="batch_type",
    )
    d = discover_batches(d, ids)
    ready = d.groupby("batch_id")["enabled_time"].max()
    d["batch_ready"] = d["batch_id"].map(ready)

    def minutes(ts: pd.Series) -> pd.Series:
        return (ts - EPOCH).dt.total_seconds() / 60.0

    e, s, t = minutes(d["enabled_time"]), minutes(d["start_time"]), minutes(d["end_time"])
    b = minutes(pd.to_datetime(d["batch_ready"], utc=True))
    has_prev = d.groupby("case_id").cumcount() > 0
    by_resource: dict[str, list[tuple[float, float, float, int]]] = defaultdict(list)
    for i, (r, si, ti, ei) in enumerate(zip(d["resource"], s, t, e, strict=True)):
        by_resource[r].append((si, ti, ei, i))
    starts = {}
    longest = {}
    for r, items in by_resource.items():
        items.sort()
        starts[r] = [x[0] for x in items]
        longest[r] = max(x[1] - x[0] for x in items)
    office = set(f"clerk_{i:02d}" for i in range(1, params.clerks + 1))

    rows = []
    for i in range(len(d)):
        if not has_prev.iat[i]:
            continue
        r, ei, si = d["resource"].iat[i], e.iat[i], s.iat[i]
        out = dict.fromkeys(CAUSES, 0.0)
        if si > ei:
            lo = ei
            bi = b.iat[i]
            if pd.notna(bi) and bi > ei:
                lo = min(bi, si)
                # Waiting for the batch counts only while the performer is on duty: a backlog taken up at
                # the start of a shift waited on the performer's absence, not on a batch.
                off = _off_office(ei, lo, params) if r in office else 0.0
                out["batching"] = lo - ei - off
                out["unavailability"] = off
            items, st = by_resource[r], starts[r]
            first = bisect.bisect_left(st, lo - longest[r])
            last = bisect.bisect_left(st, si)
            cont, prio = [], []
            for so, to, eo, j in items[first:last]:
                if j == i or to <= lo:
                    continue
                piece = (max(lo, so), min(si, to))
                (cont if eo <= ei else prio).append(piece)
            c = _union(cont)
            p = _minus(_union(prio), c)
            out["contention"] = _length(c)
            out["prioritisation"] = _length(p)
            rest = _minus([(lo, si)], _union(c + p))
            off_rest = sum(_off_office(x, y, params) for x, y in rest) if r in office else 0.0
            out["unavailability"] += off_rest
            out["extraneous"] = _length(rest) - off_rest
        rows.append(
            {
                "case_id": d["case_id"].iat[i],
                "activity": d["activity"].iat[i],
                "resource": r,
                "wait_h": (si - ei) / 60.0,
                **{k: v / 60.0 for k, v in out.items()},
            }
        )
    return pd.DataFrame(rows)


# -- independent check of the planted truth ---------------------------------------------------------


def _ping_pongs(roles: Iterable[str], length: int) -> list[str]:
    """Windows X -> Y -> X (-> Y ...) of ``length`` alternating roles, consecutive repeats collapsed.

    Each window is named by its pair of roles in alphabetical order, e.g. ``"Assessment<->Highways"``.
    """
    seq: list[str] = []
    for r in roles:
        if not seq or seq[-1] != r:
            seq.append(r)
    found = []
    for i in range(len(seq) - length + 1):
        window = seq[i : i + length]
        if all(window[j] == window[j % 2] for j in range(length)):
            a, b = sorted(window[:2])
            found.append(f"{a}<->{b}")
    return found


@dataclass
class Figures:
    """What :func:`check` measured (hours unless said otherwise)."""

    n_cases: int
    n_events: int
    open_cases: int
    open_share: float
    waiting_rank: list[str]
    total_waiting_hours: dict[str, float]
    mean_waiting_hours: dict[str, float]
    mean_processing_hours: dict[str, float]
    processing_cv: dict[str, float]
    case_officer_utilisation: float
    senior_utilisation: float
    ping_pong_triples_by_roles: dict[str, int]
    ping_pong_cases_by_roles: dict[str, int]
    ping_pong_abab_cases_by_roles: dict[str, int]
    rework_share_of_all_cases: dict[str, float]
    rework_share_of_cases_with_activity: dict[str, float]
    validate_max_per_case: int
    validate_after_receive_share: float
    validate_before_fee_share: float
    letters_on_friday_after_15h_share: float
    letter_runs: int
    decide_successors: dict[str, float]
    refusal_rate_by_channel: dict[str, float]
    requests_for_information: int
    applicant_answer_days_median: float
    register_wait_hours_median: float
    dropped_baton_cases: int
    dropped_baton_wait_days_min: float
    waiting_causes: dict[str, dict[str, float]]
    dominant_cause: dict[str, str]


def check(df: pd.DataFrame, params: Params | None = None) -> Figures:
    """Recompute the planted facts from the table alone, assert them, and return the measured figures.

    Works on the frame :func:`generate` returns or on the CSV read back with ``pandas.read_csv``.
    Definitions (deliberately plain, independent of the simulation code):

    * waiting before an event = its ``start_time`` minus the ``end_time`` of the previous event of the
      same case (previous by ``end_time``), summed per activity; its causes by :func:`attribute_waiting`;
    * ping-pong = a role sequence X -> Y -> X within a case (consecutive repeats of a role collapsed),
      counted per unordered pair of roles;
    * rework share of an activity = cases in which it occurs more than once / all cases.
    """
    params = params or Params()
    log = df.copy()
    log["start_time"] = pd.to_datetime(log["start_time"], utc=True)
    log["end_time"] = pd.to_datetime(log["end_time"], utc=True)
    log = log.sort_values(["case_id", "end_time", "start_time"], kind="stable")
    by_case = log.groupby("case_id", sort=False)
    n_cases = log["case_id"].nunique()
    log["prev_end"] = by_case["end_time"].shift()
    log["prev_activity"] = by_case["activity"].shift()
    log["next_activity"] = by_case["activity"].shift(-1)
    log["wait_h"] = (log["start_time"] - log["prev_end"]).dt.total_seconds() / 3600.0
    log["work_h"] = (log["end_time"] - log["start_time"]).dt.total_seconds() / 3600.0
    assert (log["wait_h"].dropna() >= 0).all(), "an event starts before the previous one of its case ends"

    # Bottlenecks: total waiting before each activity.
    waiting = log.groupby("activity")["wait_h"].sum().sort_values(ascending=False)
    mean_waiting = log.groupby("activity")["wait_h"].mean()
    rank = list(waiting.index)
    assert rank[0] == ASSESS, f"largest total waiting should be before {ASSESS}, got {rank[:3]}"
    assert rank[1] == LETTER, f"second largest total waiting should be before {LETTER}, got {rank[:3]}"
    work = log.groupby("activity")["work_h"]
    cv = work.std() / work.mean()

    # Why cases wait: the dominant cause of each planted step.
    causes = attribute_waiting(df, params)
    assert ((causes[list(CAUSES)].sum(axis=1) - causes["wait_h"]).abs() < 1e-6).all(), (
        "the causes of a wait do not add up to the wait"
    )
    per_activity = causes.groupby("activity")[["wait_h", *CAUSES]].sum()
    dominant = per_activity[list(CAUSES)].idxmax(axis=1)
    planted = {
        "contention": ASSESS,
        "batching": LETTER,
        "extraneous": PROVIDE,
        "unavailability": VALIDATE,
        "prioritisation": REVIEW,
    }
    for cause, activity in planted.items():
        row = per_activity.loc[activity]
        share = row[cause] / row["wait_h"]
        assert dominant[activity] == cause, f"{activity}: dominant cause {dominant[activity]}, not {cause}"
        assert share >= 0.5, f"{activity}: only {share:.0%} of its waiting is {cause}"
    validate = per_activity.loc[VALIDATE]
    assert validate["unavailability"] >= 0.8 * validate["wait_h"], (
        "Validate documents waits on more than nights"
    )

    # Ping-pong between roles.
    triples: Counter[str] = Counter()
    cases_with: Counter[str] = Counter()
    cases_with_abab: Counter[str] = Counter()
    for _, roles in by_case["role"]:
        found = _ping_pongs(roles, 3)
        triples.update(found)
        cases_with.update(set(found))
        cases_with_abab.update(set(_ping_pongs(roles, 4)))
    pair = f"{ASSESSMENT}<->{HIGHWAYS}"
    # Between teams of people: the Digital role (a portal and a bot) and the applicant are left out.
    people = {k: n for k, n in cases_with_abab.items() if DIGITAL not in k and APPLICANT not in k}
    top_abab = max(people, key=lambda k: (people[k], k))
    assert top_abab == pair, f"most cases with X->Y->X->Y between teams should be {pair}, got {top_abab}"

    # Rework.
    counts = log.groupby(["case_id", "activity"]).size()
    repeated = (counts > 1).groupby(level="activity").sum()
    present = counts.groupby(level="activity").size()
    rework_all = (repeated / n_cases).sort_values(ascending=False)
    rework_present = (repeated / present).sort_values(ascending=False)
    assert REVIEW in rework_all.index[:2], f"{REVIEW} should be among the two most reworked"
    assert 0.18 <= rework_all[REVIEW] <= 0.38, f"rework share of {REVIEW} is {rework_all[REVIEW]:.1%}"
    never_repeated = [VALIDATE, SCREEN, REQUEST, PROVIDE, CHECK, DECIDE, REGISTER]
    assert (counts.unstack()[never_repeated].max() <= 1).all(), "a step other than the loops repeats"

    # Rule-like step.
    val = log[log["activity"] == VALIDATE]
    validate_max = int(counts.xs(VALIDATE, level="activity").max())
    assert cv[VALIDATE] < 0.2, f"{VALIDATE} processing CV is {cv[VALIDATE]:.3f}"
    after_receive = float((val["prev_activity"] == RECEIVE).mean())
    assert after_receive == 1.0, f"{VALIDATE} preceded by {RECEIVE} in only {after_receive:.1%}"
    before_fee = float((val["next_activity"].dropna() == FEE).mean())
    assert before_fee == 1.0, f"{VALIDATE} followed by {FEE} in only {before_fee:.1%}"
    # The clerks keep office hours.
    clerks = log[log["role"] == VALIDATION]
    minute = clerks["start_time"].dt.hour * 60 + clerks["start_time"].dt.minute
    assert (clerks["start_time"].dt.dayofweek < 5).all() and minute.between(540, 1019).all()

    # The screening rule.
    screen = log[(log["activity"] == SCREEN) & log["next_activity"].notna()]
    asked = screen["next_activity"] == REQUEST
    assert (asked == (screen["documents_submitted"] < params.documents_required)).all(), "screening rule"
    assert set(screen["next_activity"]) == {REQUEST, ASSESS}
    provide = log[log["activity"] == PROVIDE]
    assert (provide["prev_activity"] == REQUEST).all() and (provide["resource"] == APPLICANT).all()
    assert (provide["next_activity"].dropna() == CHECK).all()
    answer_days = (provide["wait_h"] / 24.0).median()

    # Batch.
    starts = log.loc[log["activity"] == LETTER, "start_time"]
    on_friday = float(((starts.dt.dayofweek == 4) & (starts.dt.hour >= 15)).mean())
    assert on_friday == 1.0, f"only {on_friday:.1%} of the letters start on a Friday after 15:00"
    run_starts = starts.groupby(starts.dt.date).min()
    assert (run_starts.dt.strftime("%a %H:%M:%S") == "Fri 15:00:00").all(), "a letter run starts off 15:00"

    # Judgment step and the equity gap.
    successors = log.loc[log["activity"] == DECIDE, "next_activity"].value_counts(normalize=True)
    assert set(successors.index) == {APPROVE, REFUSE}, f"{DECIDE} is followed by {dict(successors)}"
    assert cv[DECIDE] > 0.4, f"{DECIDE} processing CV is only {cv[DECIDE]:.2f}"
    decided = log[log["activity"].isin([APPROVE, REFUSE])]
    refusal = decided.groupby("channel")["activity"].apply(lambda a: float((a == REFUSE).mean()))
    assert refusal["paper"] > 1.5 * refusal["online"], f"refusals by channel {dict(refusal)}"
    assert refusal.max() < 0.5, "refusal is the majority in some channel: the decision became predictable"

    # The routine step after the merge and the dropped batons.
    register = log[log["activity"] == REGISTER]
    assert register["prev_activity"].isin([APPROVE, REFUSE]).all(), (
        "Update planning register after a decision"
    )
    dropped = set(df.attrs.get("dropped_baton_cases", [])) if hasattr(df, "attrs") else set()
    waits = register.set_index("case_id")["wait_h"]
    if dropped:
        assert (waits.loc[sorted(dropped)] >= params.dropped_min_days * 24).all()
        assert (waits.drop(index=sorted(dropped)) < 24).all(), "a baton was dropped that was not planted"
    long_waits = waits[waits >= params.dropped_min_days * 24]
    assert 0.03 <= len(long_waits) / len(waits) <= 0.1, f"{len(long_waits)} dropped batons of {len(waits)}"

    # Open cases.
    last = by_case["activity"].last()
    open_cases = int((last != CLOSE).sum())
    assert 0.005 <= open_cases / n_cases <= 0.15, f"{open_cases} open cases"
    assert int((log["activity"] == CLOSE).sum()) == n_cases - open_cases, "a case was closed twice"

    span_h = (log["end_time"].max() - log["start_time"].min()).total_seconds() / 3600.0

    def busy(role: str) -> float:
        team = log[log["role"] == role]
        return float(team["work_h"].sum() / (team["resource"].nunique() * span_h))

    def hours(series: pd.Series, ndigits: int = 2) -> dict[str, float]:
        return {str(k): round(float(v), ndigits) for k, v in series.items() if pd.notna(v)}

    return Figures(
        n_cases=n_cases,
        n_events=len(log),
        open_cases=open_cases,
        open_share=round(open_cases / n_cases, 4),
        waiting_rank=rank,
        total_waiting_hours=hours(waiting, 1),
        mean_waiting_hours=hours(mean_waiting[rank]),
        mean_processing_hours=hours(work.mean()[rank], 3),
        processing_cv=hours(cv[rank], 3),
        case_officer_utilisation=round(busy(ASSESSMENT), 4),
        senior_utilisation=round(busy(SENIOR), 4),
        ping_pong_triples_by_roles=dict(triples.most_common()),
        ping_pong_cases_by_roles=dict(cases_with.most_common()),
        ping_pong_abab_cases_by_roles=dict(cases_with_abab.most_common()),
        rework_share_of_all_cases=hours(rework_all[rework_all > 0], 4),
        rework_share_of_cases_with_activity=hours(rework_present[rework_present > 0], 4),
        validate_max_per_case=validate_max,
        validate_after_receive_share=after_receive,
        validate_before_fee_share=before_fee,
        letters_on_friday_after_15h_share=on_friday,
        letter_runs=len(run_starts),
        decide_successors=hours(successors, 4),
        refusal_rate_by_channel=hours(refusal, 4),
        requests_for_information=int((log["activity"] == REQUEST).sum()),
        applicant_answer_days_median=round(float(answer_days), 2),
        register_wait_hours_median=round(float(waits.median()), 3),
        dropped_baton_cases=len(long_waits),
        dropped_baton_wait_days_min=round(float(long_waits.min() / 24.0), 2),
        waiting_causes={
            str(a): {"total": round(float(r["wait_h"]), 2), **{c: round(float(r[c]), 2) for c in CAUSES}}
            for a, r in per_activity.sort_values("wait_h", ascending=False).iterrows()
        },
        dominant_cause={str(a): str(c) for a, c in dominant.items()},
    )


PERFORMER_TYPES = {PORTAL: "system", SYSTEM: "system", FEE_BOT: "bot", APPLICANT: "external"}


def truth(
    df: pd.DataFrame, figures: Figures, params: Params, seed: int, after: dict | None = None
) -> dict[str, Any]:
    """The machine-readable description of what was planted, plus what :func:`check` measured."""
    teams = {role: sorted(set(group)) for role, group in df.groupby("role")["resource"]}
    resources = sorted(set(df["resource"]))
    clerks = teams[VALIDATION]
    return {
        "log": CSV_NAME,
        "generator": "sample_logs/generate.py",
        "version": 2,
        "seed": seed,
        "columns": COLUMNS,
        "timestamps": "ISO 8601 with +00:00 offset, second resolution",
        "first_event": df["start_time"].min().isoformat(),
        "export_time": df.attrs["export_time"],
        "arrival_surge": {
            "start": df.attrs["surge_start"],
            "end": df.attrs["surge_end"],
            "factor": params.surge_factor,
        },
        "bottleneck_rank_1": ASSESS,
        "bottleneck_rank_2": LETTER,
        "understaffed_activity": ASSESS,
        "understaffed_role": ASSESSMENT,
        "understaffed_resources": teams[ASSESSMENT],
        "batch_activity": LETTER,
        "batch_release": "Friday 15:00 UTC weekly",
        "batch_resource": MAILROOM_CLERK,
        "ping_pong_roles": [ASSESSMENT, HIGHWAYS],
        "ping_pong_activities": [CONSULT, ANSWER],
        "rework_activity": REVIEW,
        "rework_loop": [REVIEW, REVISE],
        "automation_candidate": VALIDATE,
        "system_activities": [RECEIVE, FEE, CLOSE],
        "system_resources": [PORTAL, SYSTEM, FEE_BOT],
        "judgment_activity": DECIDE,
        "decision_outcomes": [APPROVE, REFUSE],
        "start_activities": [RECEIVE],
        "end_activities": [CLOSE],
        "activities": ACTIVITIES,
        "teams": teams,
        "application_types": list(APPLICATION_TYPES),
        "wards": list(WARDS),
        "channels": list(CHANNELS),
        "n_cases": figures.n_cases,
        "n_events": figures.n_events,
        "open_cases": figures.open_cases,
        "waiting_causes": {
            "contention": ASSESS,
            "batching": LETTER,
            "extraneous": PROVIDE,
            "unavailability": VALIDATE,
            "prioritisation": REVIEW,
        },
        "calendars": {
            "office_hours_resources": clerks,
            "office_hours": "Mon-Fri 09:00-17:00 UTC",
            "always_on_resources": [r for r in resources if r not in clerks],
        },
        "measured_waiting_causes": figures.waiting_causes,
        "performer_types": {r: PERFORMER_TYPES.get(r, "human") for r in resources},
        "handoffs": {
            "internal_ping_pong": [ASSESSMENT, HIGHWAYS],
            "internal_ping_pong_activities": [CONSULT, ANSWER],
            "request_response": {
                "internal": VALIDATION,
                "external": APPLICANT,
                "activities": [REQUEST, PROVIDE, CHECK],
            },
            "dropped_baton": {
                "source_role": SENIOR,
                "target_role": ADMIN,
                "after_activities": [APPROVE, REFUSE],
                "receiving_activity": REGISTER,
                "cases": list(df.attrs["dropped_baton_cases"]),
                "idle_days": [params.dropped_min_days, params.dropped_max_days],
            },
            "smooth_handoff": [VALIDATION, DIGITAL],
            "smooth_handoff_activities": [VALIDATE, FEE],
            "rework_after_handoff": {
                "source_role": SENIOR,
                "target_role": ASSESSMENT,
                "loop": [REVIEW, REVISE],
            },
        },
        "readiness": {
            "rule_like": VALIDATE,
            "rule_decision": {
                "activity": SCREEN,
                "attribute": "documents_submitted",
                "threshold": params.documents_required,
                "below": REQUEST,
                "otherwise": ASSESS,
            },
            "judgment": DECIDE,
            "routine_after_merge": REGISTER,
            "fix_first": [REVIEW],
            "not_fix_first": [REGISTER],
            "already_automated": [RECEIVE, FEE, CLOSE],
            "equity": {
                "activity": DECIDE,
                "attribute": "channel",
                "refusal_rate_by_channel": figures.refusal_rate_by_channel,
            },
        },
        "planted_change": after or {},
        "definitions": {
            "waiting": "start_time minus end_time of the previous event of the same case (previous by "
            "end_time), summed per activity",
            "waiting_causes": "Lashkevich et al. (2023): batching (enabled until the last instance of its "
            "batch was enabled; batches grouped by pix-framework's discover_batches), contention / "
            "prioritisation (the performer was processing instances enabled no later / later), "
            "unavailability (outside the performer's true calendar: clerks Mon-Fri 09:00-17:00 UTC, all "
            "others around the clock), extraneous (the rest); computed by generate.attribute_waiting",
            "ping_pong": "alternating role windows within a case, consecutive repeats of a role collapsed, "
            "per unordered role pair. Assessment<->Highways has the most cases with an X->Y->X->Y window "
            "(ping_pong_abab_cases_by_roles). X->Y->X windows also arise without any bouncing: "
            "Digital<->Validation in every case by construction (Receive, Validate, Calculate fee, "
            "Screen), Validation<->Applicant in the request-response loop, Assessment<->Senior in the "
            "rework loop",
            "rework_share": "cases in which the activity occurs more than once / all cases "
            "(rework_share_of_all_cases): Quality review is among the top two with Consult Highways, "
            "since a Highways query always means a second consultation",
        },
        "measured": asdict(figures),
        "parameters": asdict(params),
    }


def planted_change(n_cases: int, seed: int, params: Params) -> dict[str, Any]:
    """Simulate the same applications with a third case officer: the change ``compare`` must detect."""
    after_params = replace(params, officers=params.officers + 1)
    before = generate(n_cases, seed, params)
    after = generate(n_cases, seed, after_params)

    def mean_wait(df: pd.DataFrame) -> float:
        d = df.sort_values(["case_id", "end_time", "start_time"], kind="stable")
        prev = d.groupby("case_id")["end_time"].shift()
        wait = (d["start_time"] - prev).dt.total_seconds() / 3600.0
        return round(float(wait[d["activity"] == ASSESS].mean()), 2)

    return {
        "params": {"officers": after_params.officers},
        "seed": seed,
        "changed_activity": ASSESS,
        "waiting_hours_mean": {"before": mean_wait(before), "after": mean_wait(after)},
        "how": "generate(n_cases, seed, params=replace(Params(), officers=3)): the same applications, "
        "one more case officer",
    }


def summary(figures: Figures) -> str:
    """A short human-readable report of the measured figures."""
    f = figures
    waiting = f.total_waiting_hours

    def top(d: dict[str, Any], n: int, fmt: str) -> str:
        return ", ".join(f"{k} {v:{fmt}}" for k, v in list(d.items())[:n])

    causes = "; ".join(
        f"{a}: {f.dominant_cause[a]} "
        f"{f.waiting_causes[a][f.dominant_cause[a]] / max(f.waiting_causes[a]['total'], 1e-9):.0%}"
        for a in (ASSESS, LETTER, PROVIDE, VALIDATE, REVIEW)
    )
    return "\n".join(
        [
            f"cases {f.n_cases}, events {f.n_events}, open {f.open_cases} ({f.open_share:.1%})",
            "total waiting (h): " + ", ".join(f"{k} {waiting[k]:,.0f}" for k in f.waiting_rank[:6]),
            f"dominant causes: {causes}",
            f"case-officer utilisation {f.case_officer_utilisation:.1%}, seniors {f.senior_utilisation:.1%}",
            "ping-pong X->Y->X->Y cases: " + top(f.ping_pong_abab_cases_by_roles, 2, "d"),
            "rework, share of all cases: " + top(f.rework_share_of_all_cases, 3, ".1%"),
            f"{VALIDATE}: processing CV {f.processing_cv[VALIDATE]:.3f}, right after {RECEIVE} in "
            f"{f.validate_after_receive_share:.0%} of cases",
            f"{DECIDE}: processing CV {f.processing_cv[DECIDE]:.2f}; then "
            + top(f.decide_successors, 2, ".0%")
            + "; refusals by channel "
            + top(f.refusal_rate_by_channel, 2, ".0%"),
            f"requests for information {f.requests_for_information}, applicant answers after "
            f"{f.applicant_answer_days_median:.1f} days (median)",
            f"dropped batons {f.dropped_baton_cases} (>= {f.dropped_baton_wait_days_min:.0f} days); register "
            f"wait median {f.register_wait_hours_median:.2f} h",
            f"letters sent on a Friday after 15:00: {f.letters_on_friday_after_15h_share:.0%} "
            f"({f.letter_runs} weekly runs)",
        ]
    )


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write the log with ISO 8601 timestamps carrying an explicit ``+00:00`` offset."""
    out = df.copy()
    for col in ("start_time", "end_time"):
        out[col] = out[col].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    out.to_csv(path, index=False)


def main(argv: list[str] | None = None) -> None:
    """Generate the log, write the CSV, check what was written, and write the truth file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1000, help="number of applications (default: 1000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="output folder (default: this folder)")
    args = parser.parse_args(argv)

    params = Params()
    df = generate(args.cases, args.seed, params)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, truth_path = args.out_dir / CSV_NAME, args.out_dir / TRUTH_NAME
    write_csv(df, csv_path)
    written = pd.read_csv(csv_path)
    written.attrs.update(df.attrs)
    figures = check(written, params)
    facts = truth(df, figures, params, args.seed, planted_change(args.cases, args.seed, params))
    truth_path.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    print(summary(figures))
    print(f"wrote {csv_path} ({csv_path.stat().st_size / 1e6:.2f} MB) and {truth_path}")


if __name__ == "__main__":
    main()
