"""Synthetic event log of a UK council's planning-permit process, with problems planted on purpose.

A discrete-event simulation (SimPy) of how a council handles planning applications. Its output,
``council_permits.csv``, is a test log whose faults are known in advance, so that flowready's analysis
can be checked against a ground truth (``truth.json``).

The process
-----------
Time runs 24/7 (no office hours, for simplicity). 1000 applications arrive as a Poisson process from
Monday 2025-01-06; a rush ahead of a rule change doubles the rate from 3 February to 11 March. The
export is taken at 00:00 UTC on Wednesday 2025-06-04: events not finished by then are not in the log.

==  ========================  =====================================  ====================================
#   activity                  resource / role                        duration
==  ========================  =====================================  ====================================
1   Receive application       Portal / Digital                       1 min
2   Validate documents        clerk_01..05 / Validation              uniform 8-12 min
3   Calculate fee             SYSTEM / Digital                       1-2 min
4   Assess application        officer_01..02 / Assessment            lognormal, CV 1.3, <= 48 h; 3.5 h
                                                                     householder, 6 h minor, 14 h major
5   Consult Highways          engineer_01..02 / Highways             1-2 h; 30/45/75 % of householder/
                                                                     minor/major cases
5a  Answer Highways query     officer_01..02 / Assessment            1-3 h; after 63 % of first and 50 %
                                                                     of second consultations, then 5 again
6   Quality review            senior_01..02 / Senior                 30-60 min; fails 30 % (then 12 %)
6a  Revise assessment         officer_01..02 / Assessment            lognormal, mean 2.5 h; then 6 again
7   Decide application        senior_01..02 / Senior                 lognormal 1-8 h, mean 3 h
8   Issue approval / refusal  senior_01..02 / Senior                 15-30 min; ~70 % / ~30 %
9   Send decision letter      mailroom_01 / Mailroom                 ~2 min, in the Friday 15:00 run
10  Close case                SYSTEM / Digital                       1 min
==  ========================  =====================================  ====================================

Planted problems (the truth the analysis should find)
-----------------------------------------------------
* Understaffed bottleneck -- ``Assess application``: two case officers, ~91 % busy over the log (they
  also answer Highways and revise assessments, which they take before new assessments). The rush builds
  a backlog of several weeks, so the waiting before Assess is the largest total of the log (rank 1).
* Batch step -- ``Send decision letter``: letters wait for the weekly Friday 15:00 run and go out one
  after another, ~2 min each. Waiting before it averages ~3.5 days: rank 2 by total waiting. Every
  letter starts on a Friday after 15:00; every run starts at 15:00:00.
* Ping-pong -- roles Assessment <-> Highways: ``Consult Highways``, ``Answer Highways query``,
  ``Consult Highways`` (and possibly once more). Counted as role triples X -> Y -> X it is the most
  frequent ping-pong between human teams.
* Rework loop -- ``Quality review`` fails ~30 % of the time: ``Revise assessment`` then ``Quality review``
  again. Quality review is the activity repeated in the largest share of all cases.
* Automation candidate -- ``Validate documents``: every case, exactly once, always right after
  ``Receive application`` and right before ``Calculate fee``; low-variance processing; no queue.
* Judgment step -- ``Decide application``: highly variable duration; branches to approval or refusal.
* Open cases -- ~3 % of the cases are unfinished at the export; none of them ends with ``Close case``.

:func:`check` recomputes these facts from the table alone (plain pandas) and asserts them.

Run ``python sample_logs/generate.py`` to rewrite ``council_permits.csv`` and ``truth.json`` next to
this file. The output is deterministic for a given seed (one ``random.Random``, no global state).
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import asdict, dataclass
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

COLUMNS = ["case_id", "activity", "start_time", "end_time", "resource", "role", "application_type", "ward"]

# Activities.
RECEIVE = "Receive application"
VALIDATE = "Validate documents"
FEE = "Calculate fee"
ASSESS = "Assess application"
CONSULT = "Consult Highways"
ANSWER = "Answer Highways query"
REVIEW = "Quality review"
REVISE = "Revise assessment"
DECIDE = "Decide application"
APPROVE = "Issue approval"
REFUSE = "Issue refusal"
LETTER = "Send decision letter"
CLOSE = "Close case"
#: In process order.
ACTIVITIES = [
    RECEIVE,
    VALIDATE,
    FEE,
    ASSESS,
    CONSULT,
    ANSWER,
    REVIEW,
    REVISE,
    DECIDE,
    APPROVE,
    REFUSE,
    LETTER,
    CLOSE,
]

# Roles (teams).
DIGITAL = "Digital"
VALIDATION = "Validation"
ASSESSMENT = "Assessment"
HIGHWAYS = "Highways"
SENIOR = "Senior"
MAILROOM = "Mailroom"

APPLICATION_TYPES = ("householder", "minor", "major")
WARDS = ("Abbey", "Castle", "Hillside", "Northgate", "Riverside", "Westfield")

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
    #: The export runs at 00:00 UTC on this weekday (Monday = 0): Wednesday, when about 3 % of the cases
    #: are open (most of them letters waiting for Friday).
    export_weekday: int = 2
    type_weights: tuple[float, float, float] = (0.60, 0.30, 0.10)
    ward_weights: tuple[float, ...] = (0.22, 0.12, 0.18, 0.16, 0.20, 0.12)

    clerks: int = 5
    validate_min: float = 8.0
    validate_max: float = 12.0

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
    decide_mean: float = 3.0 * 60
    decide_cv: float = 0.7
    decide_min: float = 60.0
    decide_max: float = 8 * 60.0
    #: Probability of approval per application type (overall ~70 %).
    approve_prob: tuple[float, float, float] = (0.75, 0.65, 0.55)
    issue_min: float = 15.0
    issue_max: float = 30.0

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


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A lognormal draw with the given mean and coefficient of variation."""
    sigma2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


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
                self.office.record(case, LETTER, start, "mailroom_01", MAILROOM)
                done.succeed()


class PermitOffice:
    """The council's planning department: teams, routing rules and the log they produce."""

    def __init__(self, env: simpy.Environment, rng: random.Random, params: Params) -> None:
        self.env = env
        self.rng = rng
        self.params = params
        self.rows: list[Row] = []
        self.clerks = StaffPool(env, VALIDATION, "clerk", params.clerks)
        self.officers = StaffPool(env, ASSESSMENT, "officer", params.officers)
        self.engineers = StaffPool(env, HIGHWAYS, "engineer", params.engineers)
        self.seniors = StaffPool(env, SENIOR, "senior", params.seniors)
        self.mailroom = Mailroom(self)

    # -- building blocks -------------------------------------------------------------------------

    def record(self, case: Case, activity: str, start: float, resource: str, role: str) -> None:
        """Log an activity instance that ends now."""
        self.rows.append(
            Row(case.case_id, activity, start, self.env.now, resource, role, case.application_type, case.ward)
        )

    def system(self, case: Case, activity: str, resource: str, minutes: float) -> Generator[Any, Any, None]:
        """An automated step: no queue."""
        start = self.env.now
        yield self.env.timeout(minutes)
        self.record(case, activity, start, resource, DIGITAL)

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

    # -- the process -----------------------------------------------------------------------------

    def handle(self, case: Case) -> Generator[Any, Any, None]:
        """Everything that happens to one application."""
        p, rng = self.params, self.rng
        kind = APPLICATION_TYPES.index(case.application_type)

        yield from self.system(case, RECEIVE, "Portal", RECEIVE_MINUTES)
        yield from self.staffed(
            case, VALIDATE, self.clerks, lambda: rng.uniform(p.validate_min, p.validate_max)
        )
        yield from self.system(case, FEE, "SYSTEM", rng.uniform(1.0, 2.0))
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

        # Rework loop: a failed quality review sends the assessment back for revision.
        fails = 0
        while True:
            yield from self.staffed(
                case, REVIEW, self.seniors, lambda: rng.uniform(p.review_min, p.review_max)
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
        )
        outcome = APPROVE if rng.random() < p.approve_prob[kind] else REFUSE
        yield from self.staffed(case, outcome, self.seniors, lambda: rng.uniform(p.issue_min, p.issue_max))

        # Batch: the letter waits for the Friday run.
        yield self.mailroom.post(case)
        yield from self.system(case, CLOSE, "SYSTEM", CLOSE_MINUTES)

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
            )
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
        the export instant are left out, so ~3 % of the cases are open.
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
    return df


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


def check(df: pd.DataFrame) -> Figures:
    """Recompute the planted facts from the table alone, assert them, and return the measured figures.

    Works on the frame :func:`generate` returns or on the CSV read back with ``pandas.read_csv``.
    Definitions (deliberately plain, independent of the simulation code):

    * waiting before an event = its ``start_time`` minus the ``end_time`` of the previous event of the
      same case (previous by ``end_time``), summed per activity;
    * ping-pong = a role sequence X -> Y -> X within a case (consecutive repeats of a role collapsed),
      counted per unordered pair of roles;
    * rework share of an activity = cases in which it occurs more than once / all cases.
    """
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

    # Ping-pong between roles.
    triples: Counter[str] = Counter()
    cases_with: Counter[str] = Counter()
    cases_with_abab: Counter[str] = Counter()
    for _, roles in by_case["role"]:
        found = _ping_pongs(roles, 3)
        triples.update(found)
        cases_with.update(set(found))
        cases_with_abab.update(set(_ping_pongs(roles, 4)))
    planted = f"{ASSESSMENT}<->{HIGHWAYS}"
    between_teams = {pair: n for pair, n in triples.items() if DIGITAL not in pair}
    top_pair = max(between_teams, key=lambda pair: between_teams[pair])
    assert top_pair == planted, f"most frequent X->Y->X between teams should be {planted}, got {top_pair}"
    top_abab = cases_with_abab.most_common(1)[0][0]
    assert top_abab == planted, f"most cases with X->Y->X->Y should be {planted}, got {top_abab}"

    # Rework.
    counts = log.groupby(["case_id", "activity"]).size()
    repeated = (counts > 1).groupby(level="activity").sum()
    present = counts.groupby(level="activity").size()
    rework_all = (repeated / n_cases).sort_values(ascending=False)
    rework_present = (repeated / present).sort_values(ascending=False)
    top_rework = rework_all.index[0]
    # Every Highways query forces a second consultation, so the ping-pong is also rework of Consult
    # Highways; the planted rework *loop* (review fails -> revise -> review again) is Quality review.
    assert REVIEW in rework_all.index[:2], f"{REVIEW} should be among the two most reworked, got {top_rework}"
    assert 0.18 <= rework_all[REVIEW] <= 0.38, f"rework share of {REVIEW} is {rework_all[REVIEW]:.1%}"

    # Automation candidate.
    val = log[log["activity"] == VALIDATE]
    validate_max = int(counts.xs(VALIDATE, level="activity").max())
    assert validate_max == 1, f"{VALIDATE} is repeated within a case"
    assert cv[VALIDATE] < 0.2, f"{VALIDATE} processing CV is {cv[VALIDATE]:.3f}"
    after_receive = float((val["prev_activity"] == RECEIVE).mean())
    assert after_receive == 1.0, f"{VALIDATE} preceded by {RECEIVE} in only {after_receive:.1%}"
    before_fee = float((val["next_activity"].dropna() == FEE).mean())
    assert before_fee == 1.0, f"{VALIDATE} followed by {FEE} in only {before_fee:.1%}"

    # Batch.
    starts = log.loc[log["activity"] == LETTER, "start_time"]
    on_friday = float(((starts.dt.dayofweek == 4) & (starts.dt.hour >= 15)).mean())
    assert on_friday == 1.0, f"only {on_friday:.1%} of the letters start on a Friday after 15:00"
    run_starts = starts.groupby(starts.dt.date).min()
    assert (run_starts.dt.strftime("%a %H:%M:%S") == "Fri 15:00:00").all(), "a letter run starts off 15:00"

    # Judgment step.
    successors = log.loc[log["activity"] == DECIDE, "next_activity"].value_counts(normalize=True)
    assert set(successors.index) == {APPROVE, REFUSE}, f"{DECIDE} is followed by {dict(successors)}"
    assert cv[DECIDE] > 0.4, f"{DECIDE} processing CV is only {cv[DECIDE]:.2f}"

    # Open cases.
    last = by_case["activity"].last()
    open_cases = int((last != CLOSE).sum())
    assert 0.005 <= open_cases / n_cases <= 0.1, f"{open_cases} open cases"
    assert int((log["activity"] == CLOSE).sum()) == n_cases - open_cases, "a case was closed twice"

    # Busy share of the case officers over the whole log.
    officers = log[log["role"] == ASSESSMENT]
    span_h = (log["end_time"].max() - log["start_time"].min()).total_seconds() / 3600.0
    utilisation = officers["work_h"].sum() / (officers["resource"].nunique() * span_h)

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
        case_officer_utilisation=round(float(utilisation), 4),
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
    )


def truth(df: pd.DataFrame, figures: Figures, params: Params, seed: int) -> dict[str, Any]:
    """The machine-readable description of what was planted, plus what :func:`check` measured."""
    teams = {role: sorted(set(group)) for role, group in df.groupby("role")["resource"]}
    return {
        "log": CSV_NAME,
        "generator": "sample_logs/generate.py",
        "seed": seed,
        "columns": COLUMNS,
        "timestamps": "ISO 8601 with +00:00 offset, second resolution; time runs 24/7",
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
        "batch_resource": "mailroom_01",
        "ping_pong_roles": [ASSESSMENT, HIGHWAYS],
        "ping_pong_activities": [CONSULT, ANSWER],
        "rework_activity": REVIEW,
        "rework_loop": [REVIEW, REVISE],
        "automation_candidate": VALIDATE,
        "system_activities": [RECEIVE, FEE, CLOSE],
        "system_resources": ["Portal", "SYSTEM"],
        "judgment_activity": DECIDE,
        "decision_outcomes": [APPROVE, REFUSE],
        "start_activities": [RECEIVE],
        "end_activities": [CLOSE],
        "activities": ACTIVITIES,
        "teams": teams,
        "application_types": list(APPLICATION_TYPES),
        "wards": list(WARDS),
        "n_cases": figures.n_cases,
        "n_events": figures.n_events,
        "open_cases": figures.open_cases,
        "definitions": {
            "waiting": "start_time minus end_time of the previous event of the same case (previous by "
            "end_time), summed per activity",
            "ping_pong": "alternating role windows within a case, consecutive repeats of a role collapsed, "
            "per unordered role pair. Assessment<->Highways is the most frequent (a) in number of "
            "X->Y->X windows once the Digital role is left out (ping_pong_triples_by_roles) and (b) in "
            "number of cases with an X->Y->X->Y window (ping_pong_abab_cases_by_roles). It is NOT the "
            "top pair by cases with an X->Y->X window (ping_pong_cases_by_roles): there "
            "Digital<->Validation is in every case by construction (Receive application, Validate "
            "documents, Calculate fee) and Assessment<->Senior (the rework loop Quality review -> Revise "
            "assessment -> Quality review) is in as many cases as Quality review is repeated",
            "rework_share": "cases in which the activity occurs more than once / all cases "
            "(rework_share_of_all_cases): Quality review is the top one. Per case that contains the "
            "activity (rework_share_of_cases_with_activity) Consult Highways is higher, since a "
            "Highways query always means a second consultation",
        },
        "measured": asdict(figures),
        "parameters": asdict(params),
    }


def summary(figures: Figures) -> str:
    """A short human-readable report of the measured figures."""
    f = figures
    waiting = f.total_waiting_hours

    def top(d: dict[str, Any], n: int, fmt: str) -> str:
        return ", ".join(f"{k} {v:{fmt}}" for k, v in list(d.items())[:n])

    return "\n".join(
        [
            f"cases {f.n_cases}, events {f.n_events}, open {f.open_cases} ({f.open_share:.1%})",
            "total waiting (h): " + ", ".join(f"{k} {waiting[k]:,.0f}" for k in f.waiting_rank[:4]),
            "mean waiting (h): " + top(f.mean_waiting_hours, 2, ".1f"),
            f"case-officer utilisation {f.case_officer_utilisation:.1%}",
            "ping-pong X->Y->X by roles: " + top(f.ping_pong_triples_by_roles, 3, "d"),
            "  cases with one: " + top(f.ping_pong_cases_by_roles, 3, "d"),
            "  cases with X->Y->X->Y: " + top(f.ping_pong_abab_cases_by_roles, 2, "d"),
            "rework, share of all cases: " + top(f.rework_share_of_all_cases, 3, ".1%"),
            "  of cases with the activity: " + top(f.rework_share_of_cases_with_activity, 3, ".1%"),
            f"{VALIDATE}: processing CV {f.processing_cv[VALIDATE]:.3f}, at most {f.validate_max_per_case} "
            f"per case, right after {RECEIVE} in {f.validate_after_receive_share:.0%} of cases",
            f"{DECIDE}: processing CV {f.processing_cv[DECIDE]:.2f}; then "
            + top(f.decide_successors, 2, ".0%"),
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
    figures = check(pd.read_csv(csv_path))
    facts = truth(df, figures, params, args.seed)
    truth_path.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    print(summary(figures))
    print(f"wrote {csv_path} ({csv_path.stat().st_size / 1e6:.2f} MB) and {truth_path}")


if __name__ == "__main__":
    main()
