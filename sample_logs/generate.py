"""Synthetic event log of a UK council's planning-permit process, with problems planted on purpose.

A discrete-event simulation (SimPy) of how a council handles planning applications. Its output,
``council_permits.csv``, is a test log whose faults are known in advance, so that flowready's analysis
can be checked against a ground truth (``truth.json``).

The process
-----------
Time runs 24/7 (no office hours, for simplicity). Applications arrive as a Poisson process from
2025-01-06 (a Monday) for about five months; the export is taken at the first midnight after the last
arrival at which no more than ~3 % of cases are still open.

1. ``Receive application``   Portal / Digital, 1 min.
2. ``Validate documents``    5 clerks / Validation, uniform 8-12 min.
3. ``Calculate fee``         SYSTEM / Digital, 1-2 min.
4. ``Assess application``    2 case officers / Assessment, lognormal, high variance, longer for major ones.
5. optionally ``Consult Highways`` (engineers / Highways), which may come back with a query:
   ``Answer Highways query`` (case officers) then ``Consult Highways`` again -- at most twice.
6. ``Quality review``        seniors / Senior; a failed review sends the case to ``Revise assessment``
   (case officers) and back to ``Quality review`` -- at most twice.
7. ``Decide application``    seniors / Senior, lognormal 1-8 h, then ``Issue approval`` (~70 %) or
   ``Issue refusal`` (~30 %).
8. ``Send decision letter``  mailroom_01 / Mailroom, released in a weekly batch (Friday 15:00 UTC).
9. ``Close case``            SYSTEM / Digital, 1 min.

Planted problems (the truth the analysis should find)
-----------------------------------------------------
* Understaffed bottleneck -- ``Assess application``: two case officers run at ~95 % utilisation (they also
  do ``Answer Highways query`` and ``Revise assessment``, which they take before new assessments), so
  the queue before Assess is the largest total waiting of the log (rank 1).
* Batch step -- ``Send decision letter``: letters wait for the Friday 15:00 run, where they are sent one
  after another (~2 min each). Waiting before it averages ~3.5 days, rank 2 by total waiting; its start
  times cluster on Fridays 15:00-16:00.
* Ping-pong -- roles Assessment <-> Highways: ``Consult Highways`` / ``Answer Highways query`` /
  ``Consult Highways`` (/ ``Answer`` / ``Consult``). Counted as role triples X -> Y -> X it is the most
  frequent ping-pong between human teams.
* Rework loop -- ``Quality review`` fails ~30 % of the time: ``Revise assessment`` then ``Quality review``
  again. Quality review is the activity repeated within the largest share of all cases.
* Automation candidate -- ``Validate documents``: every case, exactly once, always between
  ``Receive application`` and ``Calculate fee``, low-variance processing, short waits.
* Judgment step -- ``Decide application``: highly variable duration, branches into approval / refusal.
* Open cases -- ~3 % of cases are unfinished at the export; they do not end with ``Close case``.

``check(df)`` recomputes these facts from the table alone (plain pandas) and asserts them.

Run ``python sample_logs/generate.py`` to rewrite ``council_permits.csv`` and ``truth.json`` next to
this file. The output is deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import asdict, dataclass, field
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
    consult_prob: tuple[float, float, float] = (0.30, 0.45, 0.75)
    consult_min: float = 60.0
    consult_max: float = 120.0
    #: Probability that Highways sends a query back after its 1st / 2nd consultation (no 3rd query).
    query_prob: tuple[float, float] = (0.63, 0.50)
    #: Work for other council departments that keeps the engineers busy (not in the log).
    external_interarrival: float = 1.8 * MINUTES_PER_HOUR
    external_min: float = 60.0
    external_max: float = 180.0

    seniors: int = 2
    review_min: float = 30.0
    review_max: float = 60.0
    #: Probability that the 1st / 2nd quality review fails (a 3rd review always passes).
    review_fail_prob: tuple[float, float] = (0.30, 0.12)
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
        yield from self.staffed(case, VALIDATE, self.clerks, lambda: rng.uniform(p.validate_min, p.validate_max))
        yield from self.system(case, FEE, "SYSTEM", rng.uniform(1.0, 2.0))
        yield from self.staffed(
            case, ASSESS, self.officers, lambda: min(lognormal(rng, p.assess_mean[kind], p.assess_cv), p.assess_max)
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
                    case, ANSWER, self.officers, lambda: rng.uniform(p.answer_min, p.answer_max), PRIORITY_FOLLOW_UP
                )

        # Rework loop: a failed quality review sends the assessment back for revision.
        fails = 0
        while True:
            yield from self.staffed(case, REVIEW, self.seniors, lambda: rng.uniform(p.review_min, p.review_max))
            if fails == len(p.review_fail_prob) or rng.random() >= p.review_fail_prob[fails]:
                break
            fails += 1
            yield from self.staffed(
                case, REVISE, self.officers, lambda: lognormal(rng, p.revise_mean, p.revise_cv), PRIORITY_FOLLOW_UP
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
        yield from self.system(case, CLOSE, "SYSTEM", 1.0)

    def arrivals(self, times: list[float]) -> Generator[Any, Any, None]:
        """Create one application at each of the (sorted) ``times``, then wait until all are closed."""
        p, rng = self.params, self.rng
        width = max(4, len(str(len(times))))
        running = []
        for i, t in enumerate(times, start=1):
            yield self.env.timeout(t - self.env.now)
            case = Case(
                case_id=f"PP-{i:0{width}d}",
                application_type=rng.choices(APPLICATION_TYPES, weights=p.type_weights)[0],
                ward=rng.choices(WARDS, weights=p.ward_weights)[0],
            )
            running.append(self.env.process(self.handle(case)))
        yield self.env.all_of(running)


@dataclass(frozen=True)
class Window:
    """When applications arrive (simulation minutes): ``[0, export)``, faster in ``[surge_start, surge_end)``."""

    export: float
    surge_start: float
    surge_end: float


def arrival_window(n_cases: int, params: Params) -> Window:
    """The window that ``n_cases`` applications fill at the configured rates.

    Its end, the export instant, is the 00:00 UTC on ``params.export_weekday`` nearest to where the
    expected number of arrivals reaches ``n_cases``; the rush boundaries are rounded to whole days.
    """
    p = params
    raw_days = n_cases * p.mean_interarrival / (1 + (p.surge_factor - 1) * p.surge_length_share) / MINUTES_PER_DAY
    candidates = [d for d in range(1, math.ceil(raw_days) + 8) if d % 7 == p.export_weekday]  # EPOCH is a Monday
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
    env.process(office.mailroom.run())
    env.process(office.external_highways_work())
    window = arrival_window(n_cases, params)
    env.run(until=env.process(office.arrivals(arrival_times(n_cases, window, params, rng))))

    cutoff = window.export
    df = pd.DataFrame([asdict(r) for r in office.rows if r.end <= cutoff])
    df["start_time"] = _to_timestamps(df.pop("start"))
    df["end_time"] = _to_timestamps(df.pop("end"))
    df = df[COLUMNS].sort_values(["end_time", "case_id", "start_time"], kind="stable").reset_index(drop=True)
    df.attrs["export_time"] = _to_timestamps(pd.Series([cutoff])).iloc[0].isoformat()
    return df


# -- independent check of the planted truth ---------------------------------------------------------


def _role_triples(roles: Iterable[str]) -> list[tuple[str, str]]:
    """Ping-pongs X -> Y -> X in a role sequence (consecutive repeats collapsed), as sorted pairs."""
    seq: list[str] = []
    for r in roles:
        if not seq or seq[-1] != r:
            seq.append(r)
    return [tuple(sorted((a, b))) for a, b, c in zip(seq, seq[1:], seq[2:]) if a == c]  # type: ignore[misc]


@dataclass
class Figures:
    """What :func:`check` measured."""

    n_cases: int
    n_events: int
    open_cases: int
    open_share: float
    waiting_hours_by_activity: dict[str, float]
    waiting_rank: list[str]
    mean_waiting_hours: dict[str, float]
    ping_pong_triples_by_roles: dict[str, int]
    ping_pong_cases_by_roles: dict[str, int]
    rework_share_of_all_cases: dict[str, float]
    rework_share_of_cases_with_activity: dict[str, float]
    validate_cv: float
    validate_max_per_case: int
    validate_after_receive_share: float
    validate_before_fee_share: float
    letter_starts_friday_after_15h_share: float
    decide_successors: dict[str, float]
    officer_utilisation: float
    extra: dict[str, Any] = field(default_factory=dict)


def check(df: pd.DataFrame) -> Figures:
    """Recompute the planted facts from the table alone and assert them. Returns the measured figures.

    Definitions (deliberately simple, independent of the simulation code):

    * waiting before an event = its ``start_time`` minus the ``end_time`` of the previous event of the
      same case (previous by ``end_time``); summed per activity.
    * ping-pong = a role sequence X -> Y -> X inside a case (consecutive repeats of a role collapsed),
      counted per unordered pair of roles.
    * rework share of an activity = cases where it occurs more than once / all cases (also reported:
      / cases where it occurs).
    """
    log = df.copy()
    log["start_time"] = pd.to_datetime(log["start_time"], utc=True)
    log["end_time"] = pd.to_datetime(log["end_time"], utc=True)
    log = log.sort_values(["case_id", "end_time", "start_time"], kind="stable")
    n_cases = log["case_id"].nunique()

    # Waiting time before each activity.
    log["prev_end"] = log.groupby("case_id")["end_time"].shift()
    log["prev_activity"] = log.groupby("case_id")["activity"].shift()
    log["next_activity"] = log.groupby("case_id")["activity"].shift(-1)
    log["wait_h"] = (log["start_time"] - log["prev_end"]).dt.total_seconds() / 3600.0
    assert (log["wait_h"].dropna() >= 0).all(), "an event starts before its predecessor ends"
    waiting = log.groupby("activity")["wait_h"].sum().sort_values(ascending=False)
    mean_waiting = log.groupby("activity")["wait_h"].mean()
    rank = list(waiting.index)
    assert rank[0] == ASSESS, f"largest waiting should be {ASSESS}, got {rank[:3]}"
    assert rank[1] == LETTER, f"second largest waiting should be {LETTER}, got {rank[:3]}"

    # Ping-pong between roles.
    triples: Counter[str] = Counter()
    cases_with: Counter[str] = Counter()
    for _, roles in log.groupby("case_id", sort=False)["role"]:
        found = [f"{a}<->{b}" for a, b in _role_triples(roles)]
        triples.update(found)
        cases_with.update(set(found))
    pair = f"{ASSESSMENT}<->{HIGHWAYS}"
    human = {k: v for k, v in triples.items() if DIGITAL not in k}
    top_human = max(human, key=lambda k: human[k])
    assert top_human == pair, f"most frequent ping-pong between teams should be {pair}, got {top_human}"

    # Rework.
    counts = log.groupby(["case_id", "activity"]).size()
    repeated = (counts > 1).groupby(level="activity").sum()
    present = counts.groupby(level="activity").size()
    rework_all = (repeated / n_cases).sort_values(ascending=False)
    rework_present = (repeated / present).sort_values(ascending=False)
    assert rework_all.index[0] in (REVIEW, REVISE), f"top rework should be {REVIEW}, got {rework_all.index[0]}"
    assert 0.22 <= rework_all[REVIEW] <= 0.38, f"rework share of {REVIEW} is {rework_all[REVIEW]:.2f}"
    assert repeated[VALIDATE] == 0, f"{VALIDATE} must never repeat"

    # Automation candidate.
    val = log[log["activity"] == VALIDATE]
    dur = (val["end_time"] - val["start_time"]).dt.total_seconds()
    validate_cv = float(dur.std() / dur.mean())
    assert validate_cv < 0.2, f"{VALIDATE} CV {validate_cv:.3f}"
    after_receive = float((val["prev_activity"] == RECEIVE).mean())
    assert after_receive == 1.0, f"{VALIDATE} preceded by {RECEIVE} in {after_receive:.1%}"
    before_fee = float((val["next_activity"].dropna() == FEE).mean())
    assert before_fee == 1.0, f"{VALIDATE} followed by {FEE} in {before_fee:.1%}"

    # Batch.
    letters = log[log["activity"] == LETTER]
    starts = letters["start_time"]
    friday_share = float(((starts.dt.dayofweek == 4) & (starts.dt.hour >= 15)).mean())
    assert friday_share == 1.0, f"only {friday_share:.1%} of letters start on a Friday after 15:00"
    first_of_run = starts.groupby(starts.dt.date).min()
    assert (first_of_run.dt.strftime("%H:%M:%S") == "15:00:00").all(), "a letter run does not start at 15:00"

    # Judgment step.
    successors = log.loc[log["activity"] == DECIDE, "next_activity"].value_counts(normalize=True)
    assert set(successors.index) == {APPROVE, REFUSE}, f"{DECIDE} successors: {dict(successors)}"

    # Open cases.
    last = log.groupby("case_id")["activity"].last()
    open_cases = int((last != CLOSE).sum())
    open_share = open_cases / n_cases
    assert 0.005 <= open_share <= 0.1, f"open share {open_share:.1%}"
    assert int((log["activity"] == CLOSE).sum()) == n_cases - open_cases, "a case closed twice"

    # Utilisation of the case officers over the period they had work.
    off = log[log["role"] == ASSESSMENT]
    span_h = (log["end_time"].max() - log["start_time"].min()).total_seconds() / 3600.0
    busy_h = (off["end_time"] - off["start_time"]).dt.total_seconds().sum() / 3600.0
    utilisation = busy_h / (off["resource"].nunique() * span_h)

    return Figures(
        n_cases=n_cases,
        n_events=len(log),
        open_cases=open_cases,
        open_share=round(open_share, 4),
        waiting_hours_by_activity={k: round(float(v), 1) for k, v in waiting.items()},
        waiting_rank=rank,
        mean_waiting_hours={k: round(float(mean_waiting[k]), 2) for k in rank},
        ping_pong_triples_by_roles=dict(triples.most_common()),
        ping_pong_cases_by_roles=dict(cases_with.most_common()),
        rework_share_of_all_cases={k: round(float(v), 4) for k, v in rework_all.items() if v > 0},
        rework_share_of_cases_with_activity={k: round(float(v), 4) for k, v in rework_present.items() if v > 0},
        validate_cv=round(validate_cv, 4),
        validate_max_per_case=int(counts.xs(VALIDATE, level="activity").max()),
        validate_after_receive_share=after_receive,
        validate_before_fee_share=before_fee,
        letter_starts_friday_after_15h_share=friday_share,
        decide_successors={k: round(float(v), 4) for k, v in successors.items()},
        officer_utilisation=round(float(utilisation), 4),
    )


def truth(df: pd.DataFrame, figures: Figures) -> dict[str, Any]:
    """The machine-readable description of what was planted, plus what :func:`check` measured."""
    teams: dict[str, list[str]] = {
        role: sorted(df.loc[df["role"] == role, "resource"].unique()) for role in sorted(df["role"].unique())
    }
    return {
        "log": CSV_NAME,
        "columns": COLUMNS,
        "timestamps": "ISO 8601 with +00:00 offset, second resolution; time runs 24/7",
        "export_time": df.attrs.get("export_time"),
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
        "decision_point": DECIDE,
        "decision_outcomes": [APPROVE, REFUSE],
        "start_activities": [RECEIVE],
        "end_activities": [CLOSE],
        "activities": [RECEIVE, VALIDATE, FEE, ASSESS, CONSULT, ANSWER, REVIEW, REVISE, DECIDE, APPROVE, REFUSE,
                       LETTER, CLOSE],
        "teams": teams,
        "application_types": list(APPLICATION_TYPES),
        "wards": list(WARDS),
        "n_cases": figures.n_cases,
        "n_events": figures.n_events,
        "open_cases": figures.open_cases,
        "definitions": {
            "waiting": "start_time minus end_time of the previous event of the same case (by end_time), "
                       "summed per activity",
            "ping_pong": "role sequence X->Y->X within a case, consecutive repeats collapsed, per role pair; "
                         "Digital<->Validation (Receive, Validate, Calculate fee) occurs in every case by "
                         "construction, so the planted ping-pong is the top one between human teams",
            "rework_share": "cases where the activity occurs more than once / all cases",
        },
        "measured": asdict(figures),
    }


def summary(figures: Figures) -> str:
    """A short human-readable report of the measured figures."""
    w = figures.waiting_hours_by_activity
    lines = [
        f"cases {figures.n_cases}, events {figures.n_events}, open {figures.open_cases} ({figures.open_share:.1%})",
        "total waiting (h): " + ", ".join(f"{k} {w[k]:,.0f}" for k in figures.waiting_rank[:5]),
        f"case-officer utilisation {figures.officer_utilisation:.1%}",
        "ping-pong triples by roles: "
        + ", ".join(f"{k} {v}" for k, v in list(figures.ping_pong_triples_by_roles.items())[:4]),
        "rework share (all cases): "
        + ", ".join(f"{k} {v:.1%}" for k, v in list(figures.rework_share_of_all_cases.items())[:4]),
        f"{VALIDATE}: CV {figures.validate_cv:.3f}, max per case {figures.validate_max_per_case}, "
        f"after {RECEIVE} {figures.validate_after_receive_share:.0%}",
        f"letters starting on Friday after 15:00: {figures.letter_starts_friday_after_15h_share:.0%}",
        "decide successors: " + ", ".join(f"{k} {v:.0%}" for k, v in figures.decide_successors.items()),
    ]
    return "\n".join(lines)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write the log with ISO 8601 timestamps carrying an explicit ``+00:00`` offset."""
    out = df.copy()
    for col in ("start_time", "end_time"):
        out[col] = out[col].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    out.to_csv(path, index=False)


def main(argv: list[str] | None = None) -> None:
    """Generate the log, check it, and write the CSV and the truth file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1000, help="number of applications (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where to write the CSV and truth.json")
    args = parser.parse_args(argv)

    df = generate(args.cases, args.seed)
    figures = check(df)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(df, args.out_dir / CSV_NAME)
    (args.out_dir / TRUTH_NAME).write_text(json.dumps(truth(df, figures), indent=2) + "\n", encoding="utf-8")
    print(summary(figures))
    print(f"wrote {args.out_dir / CSV_NAME} and {args.out_dir / TRUTH_NAME}")


if __name__ == "__main__":
    main()
