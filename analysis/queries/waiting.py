"""Event-level queries of the waiting-time cause analysis (Ibis expressions over the engine's tables).

Three building blocks, all set-based:

- **working clock**: ``W(t)``, the working microseconds of a performer's weekly calendar elapsed since a
  Monday 00:00 UTC epoch, found by one join of ``t``'s weekly slot with the per-performer slot table
  (:func:`working_clock`); working time in ``[a, b)`` is ``W(b) - W(a)``, with no loop over days;
- **busy timeline**: the elementary segments of each performer's processing timeline (between two
  consecutive start/end instants), with the earliest enabling time of the instances covering each
  segment (:func:`busy_segments`) and the cumulative busy and busy-working time before each segment, so
  that busy time in ``[a, b)`` is ``B(b) - B(a)`` (an as-of join);
- **batches**: pix-framework's sweep (same performer and activity, by start time; an instance joins the
  current batch when it was enabled no later than the batch started and starts within the maximum gap
  of the batch's end) as a fixed-point of window passes (:func:`batch_breaks`, :func:`batch_pass`).

The public functions of :mod:`analysis.waiting` put them together; every time is an int64 of
microseconds since the Unix epoch, as in :mod:`mapper.engine`.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from mapper.columns import ACTIVITY, CASE_ID, ROLE

US_PER_SECOND = 1_000_000
DAY_US = 86_400 * US_PER_SECOND
WEEK_US = 7 * DAY_US
#: 1970-01-05 00:00 UTC, the first Monday after the Unix epoch: weekday 0 of the working clock.
MONDAY_EPOCH_US = 4 * DAY_US
#: The performer key of the log-wide calendar in the slot table (used for instances whose performer is
#: unknown). A NUL byte cannot occur in a performer name read from a file.
LOG_KEY = "\x00log"

StartMode = Literal["recorded", "estimated", "none"]


def pmod(a: ir.IntegerValue, b: int) -> ir.IntegerValue:
    """``a mod b`` in ``[0, b)`` also for negative ``a`` (SQL's ``%`` keeps the sign of ``a``)."""
    return ((a % b) + b) % b


def floordiv(a: ir.IntegerValue, b: int) -> ir.IntegerValue:
    """Exact integer floor division (``a - pmod(a, b)`` is a multiple of ``b``, so the division is exact)."""
    return ((a - pmod(a, b)) / b).cast("int64")


def activity_instances(o: ir.Table, performer: str | None, starts: StartMode) -> ir.Table:
    """One row per activity instance with the times the attribution needs.

    Parameters
    ----------
    o : ibis Table
        The ordered events (:func:`mapper.engine.order_events`).
    performer : str or None
        The column naming who did the work (``resource`` or ``role``); None when the log names neither.
    starts : {"recorded", "estimated", "none"}
        Whether start times are known. With ``"none"`` ``st_us`` is null; otherwise an event without a
        start is taken as instantaneous (start = completion), as :mod:`mapper.engine` measures waits.

    Returns
    -------
    ibis Table
        ``iid`` (int64, unique), ``case_id``, ``activity``, ``prev_activity`` (str), ``performer`` (str,
        nullable), ``role`` (str, nullable), ``enabled_us`` (int64, completion of the previous event of
        the case; null for the first), ``st_us`` (int64, nullable), ``en_us`` (int64, completion),
        ``proc_us`` (int64, completion minus recorded or estimated start; null without a start).
    """
    perf = o[performer].cast("string") if performer else ibis.null("string")
    st = ibis.null("int64") if starts == "none" else o.start_us.coalesce(o.t_us)
    return o.select(
        iid=ibis.row_number().over(ibis.window(order_by=[o[CASE_ID], o.pos])).cast("int64"),
        case_id=o[CASE_ID],
        activity=o[ACTIVITY],
        prev_activity=o.prev_activity,
        performer=perf,
        role=o[ROLE].cast("string"),
        enabled_us=o.enabled_us,
        st_us=st,
        en_us=o.t_us,
        proc_us=o.t_us - o.start_us,
    )


# --- calendars ------------------------------------------------------------------------------------------


def second_of_day_counts(inst: ir.Table) -> ir.Table:
    """How many time points (starts and completions) fall on each second of the day (UTC).

    Returns
    -------
    ibis Table
        ``second`` (int64, 0..86399), ``n`` (int64) and ``total`` (int64, all time points).
    """
    pts = (
        inst.filter(inst.st_us.notnull())
        .select(t=inst.st_us)
        .union(inst.select(t=inst.en_us), distinct=False)
    )
    sod = floordiv(pmod(pts.t - MONDAY_EPOCH_US, DAY_US), US_PER_SECOND)
    counts = pts.mutate(second=sod).group_by("second").aggregate(n=lambda t: t.count())
    return counts.mutate(total=counts.n.sum().over(ibis.window()))


def calendar_evidence(inst: ir.Table, slot_us: int, placeholder_seconds: list[int]) -> ir.Table:
    """The weekly slots in which each instance shows its performer at work.

    An instance whose start and end fall on the same UTC day shows its performer working in every slot
    from the start to just before the end; one that spans midnight (work left overnight, a suspended
    item) shows only the slots of its two ends; one without a start, the slot of its completion.
    Instances with a start or completion at a placeholder second of the day (a date stamp) give no
    evidence.

    Returns
    -------
    ibis Table
        ``performer``, ``role`` (str, nullable), ``iid`` (int64), ``day`` (int64, days since the Monday
        epoch), ``slot`` (int64, slot of the day).
    """
    t = inst
    rel_st = t.st_us - MONDAY_EPOCH_US
    en1 = ibis.ifelse(t.st_us.notnull() & (t.en_us > t.st_us), t.en_us - 1, t.en_us)
    rel_en = en1 - MONDAY_EPOCH_US
    t = t.mutate(
        day_st=floordiv(rel_st, DAY_US),
        day_en=floordiv(rel_en, DAY_US),
        g_st=floordiv(pmod(rel_st, DAY_US), slot_us),
        g_en=floordiv(pmod(rel_en, DAY_US), slot_us),
        s_st=floordiv(pmod(rel_st, DAY_US), US_PER_SECOND),
        s_en=floordiv(pmod(t.en_us - MONDAY_EPOCH_US, DAY_US), US_PER_SECOND),
    )
    if placeholder_seconds:
        ph = list(placeholder_seconds)
        t = t.filter(~t.s_en.isin(ph) & (t.s_st.isnull() | ~t.s_st.isin(ph)))
    same_day = t.st_us.notnull() & (t.day_st == t.day_en)
    cols = ["performer", ROLE, "iid"]
    whole = t.filter(same_day).select(*cols, day=t.day_st, g0=t.g_st, g1=t.g_en)
    t2 = t.filter(~same_day)
    first = t2.filter(t2.st_us.notnull()).select(*cols, day=t2.day_st, g0=t2.g_st, g1=t2.g_st)
    last = t2.select(*cols, day=t2.day_en, g0=t2.g_en, g1=t2.g_en)
    pieces = whole.union(first, distinct=False).union(last, distinct=False)
    return pieces.select(*cols, "day", slot=ibis.range(pieces.g0, pieces.g1 + 1).unnest())


def calendar_cells(
    evidence: ir.Table,
    *,
    with_roles: bool,
    min_confidence: float,
    min_support: float,
) -> ir.Table:
    """Discover the working slots of every performer, role pool and of the whole log.

    The crisp rule, after Estrada-Torres et al. (2021) and pix-framework's crisp calendars: a weekday is
    a working day of a key when it was active on that weekday in at least ``min_confidence`` of its
    active weeks; a slot of a working day is a working slot when the key was active in it on at least
    ``min_confidence`` of its active days of that weekday (confidence). When the accepted slots hold
    less than ``min_support`` of all the key's slot-days (support), the other observed slots are added
    in decreasing frequency until they do.

    Returns
    -------
    ibis Table
        One row per observed (key, weekday, slot): ``scope`` (``"performer"``, ``"role"`` or
        ``"log"``), ``key`` (str), ``weekday`` (int64, 0 = Monday), ``slot`` (int64), ``freq`` (int64,
        days active in the slot), ``working`` (bool).
    """
    e = evidence
    by_perf = e.filter(e.performer.notnull()).select(
        scope=ibis.literal("performer"), key=e.performer, iid=e.iid, day=e.day, slot=e.slot
    )
    parts = [by_perf]
    if with_roles:
        parts.append(
            e.filter(e[ROLE].notnull()).select(
                scope=ibis.literal("role"), key=e[ROLE], iid=e.iid, day=e.day, slot=e.slot
            )
        )
    parts.append(
        e.select(scope=ibis.literal("log"), key=ibis.literal(LOG_KEY), iid=e.iid, day=e.day, slot=e.slot)
    )
    u = parts[0]
    for p in parts[1:]:
        u = u.union(p, distinct=False)
    u = u.mutate(weekday=pmod(u.day, 7), week=floordiv(u.day, 7))
    keys = ["scope", "key"]
    cell = u.group_by([*keys, "weekday", "slot"]).aggregate(freq=u.day.nunique())
    wday = u.group_by([*keys, "weekday"]).aggregate(days=u.day.nunique())
    kstat = u.group_by(keys).aggregate(weeks=u.week.nunique())
    c = cell.join(wday, [*keys, "weekday"]).join(kstat, keys)
    accepted = (c.days >= min_confidence * c.weeks) & (c.freq >= min_confidence * c.days)
    c = c.mutate(acc=accepted)
    wk = ibis.window(group_by=[c.scope, c.key])
    c = c.mutate(
        total=c.freq.sum().over(wk),
        covered=ibis.ifelse(c.acc, c.freq, 0).sum().over(wk),
    )
    # Support: add the most frequent rejected slots (ties by weekday, slot) until min_support is reached.
    rej = ibis.cumulative_window(
        group_by=[c.scope, c.key, c.acc], order_by=[ibis.desc(c.freq), c.weekday, c.slot]
    )
    c = c.mutate(cum=c.freq.sum().over(rej))
    add = ~c.acc & ((c.covered + c.cum - c.freq) < min_support * c.total)
    return c.select(*keys, "weekday", "slot", "freq", working=c.acc | add)


def calendar_key_stats(inst: ir.Table, evidence: ir.Table) -> ir.Table:
    """Per performer: instances, active weeks, evidence instances and weeks, and the most frequent role.

    Returns
    -------
    ibis Table
        ``performer`` (str), ``events`` (int64, instances done), ``weeks_active`` (int64, distinct
        weeks with a completion), ``evidence_events``, ``evidence_weeks`` (int64, the same counted on
        the calendar evidence), ``role`` (str, nullable: its most frequent role).
    """
    i = inst.filter(inst.performer.notnull())
    i = i.mutate(week=floordiv(i.en_us - MONDAY_EPOCH_US, WEEK_US))
    base = i.group_by("performer").aggregate(
        events=i.count(), weeks_active=i.week.nunique(), role=i[ROLE].mode()
    )
    ev = evidence.filter(evidence.performer.notnull())
    evs = ev.group_by("performer").aggregate(
        evidence_events=ev.iid.nunique(), evidence_weeks=floordiv(ev.day, 7).nunique()
    )
    j = base.left_join(evs, "performer")
    return j.select(
        "performer",
        "events",
        "weeks_active",
        evidence_events=j.evidence_events.fill_null(0),
        evidence_weeks=j.evidence_weeks.fill_null(0),
        role=j[ROLE],
    )


def pool_stats(evidence: ir.Table, *, with_roles: bool) -> ir.Table:
    """Evidence instances and weeks of each role pool and of the whole log (``key`` = :data:`LOG_KEY`).

    Returns
    -------
    ibis Table
        ``scope`` (``"role"`` or ``"log"``), ``key`` (str), ``evidence_events``, ``evidence_weeks``
        (int64).
    """
    e = evidence
    log = e.aggregate(evidence_events=e.iid.nunique(), evidence_weeks=floordiv(e.day, 7).nunique())
    log = log.select(
        scope=ibis.literal("log"),
        key=ibis.literal(LOG_KEY),
        evidence_events=log.evidence_events,
        evidence_weeks=log.evidence_weeks,
    )
    if not with_roles:
        return log
    r = e.filter(e[ROLE].notnull())
    roles = r.group_by(key=r[ROLE]).aggregate(
        evidence_events=r.iid.nunique(), evidence_weeks=floordiv(r.day, 7).nunique()
    )
    roles = roles.select(
        scope=ibis.literal("role"),
        key=roles.key,
        evidence_events=roles.evidence_events,
        evidence_weeks=roles.evidence_weeks,
    )
    return roles.union(log, distinct=False)


def working_clock(
    t: ir.Table, time_col: str, key_col: str, slots: ir.Table, out: str, slot_us: int
) -> ir.Table:
    """Add ``out`` = W(``time_col``): working microseconds elapsed since the Monday epoch.

    ``W(t) = week(t) * weekly_us + cum_us(slot(t)) + working(slot(t)) * (t - start of slot(t))``, where
    ``slots`` holds, per performer key and slot of the week, ``working`` and ``cum_us`` (working
    microseconds of the week before the slot). Working time in ``[a, b)`` is then ``W(b) - W(a)``.

    Parameters
    ----------
    t : ibis Table
        Any table with an int64 time column and a performer key column (null time gives null W).
    slots : ibis Table
        ``slot_key`` (str), ``slot_k`` (int64, slot of the week), ``slot_working`` (bool),
        ``slot_cum_us`` and ``slot_week_us`` (int64).
    """
    u = t[time_col] - MONDAY_EPOCH_US
    x = t.mutate(_wk=floordiv(u, WEEK_US))
    x = x.mutate(_r=x[time_col] - MONDAY_EPOCH_US - x._wk * WEEK_US)
    x = x.mutate(_k=floordiv(x._r, slot_us))
    j = x.left_join(slots, [x[key_col] == slots.slot_key, x._k == slots.slot_k])
    val = j._wk * j.slot_week_us + j.slot_cum_us + ibis.ifelse(j.slot_working, j._r - j._k * slot_us, 0)
    j = j.mutate(**{out: val})
    return j.drop("_wk", "_r", "_k", "slot_key", "slot_k", "slot_working", "slot_cum_us", "slot_week_us")


# --- batches --------------------------------------------------------------------------------------------


def batch_breaks(inst: ir.Table, gap_us: int) -> ir.Table:
    """The first window pass of batch discovery: every instance, with the batch breaks that are certain.

    Instances of the same performer and activity are ordered by start (then completion, then id). The
    sweep of pix-framework opens a new batch at an instance that was enabled after the current batch
    started, or that starts more than ``gap_us`` after the batch's latest end. Three cases are certain
    without knowing where the current batch began: the first instance of a group; an instance enabled
    after the previous instance started (the batch began no later than that); an instance starting more
    than ``gap_us`` after every earlier instance ended. Instances with no enabling time (the first event
    of a case) cannot join a batch (pix compares with a missing time: false).

    Returns
    -------
    ibis Table
        ``iid``, ``performer``, ``activity``, ``enabled_us``, ``st_us``, ``en_us``, ``n`` (int64, 0-based
        position in the group), ``brk`` (bool: opens a batch).
    """
    b = inst.filter(inst.performer.notnull() & inst.st_us.notnull())
    grp = [b.performer, b[ACTIVITY]]
    order = [b.st_us, b.en_us, b.iid]
    w = ibis.window(group_by=grp, order_by=order)
    wprev = ibis.window(group_by=grp, order_by=order, rows=(None, -1))
    b = b.select(
        "iid",
        "performer",
        ACTIVITY,
        "enabled_us",
        "st_us",
        "en_us",
        n=ibis.row_number().over(w),
        prev_st=b.st_us.lag().over(w),
        prev_maxend=b.en_us.max().over(wprev),
    )
    brk = (
        (b.n == 0) | b.enabled_us.isnull() | (b.enabled_us > b.prev_st) | ((b.st_us - b.prev_maxend) > gap_us)
    )
    return b.select(
        "iid", "performer", ACTIVITY, "enabled_us", "st_us", "en_us", "n", brk=brk.fill_null(True)
    )


def batch_uncertain(b: ir.Table) -> ir.Table:
    """The instances of :func:`batch_breaks` whose batch is not settled yet: candidates of two or more.

    Returns
    -------
    ibis Table
        The rows of ``b`` in a candidate batch (from one certain break to the next) of at least two
        instances, with ``viol`` (bool, False).
    """
    b = _segments(b)
    size = b.iid.count().over(ibis.window(group_by=[b.performer, b[ACTIVITY], b.seg]))
    b = b.mutate(size=size)
    b = b.filter(b.size >= 2)
    return b.select(
        "iid", "performer", ACTIVITY, "enabled_us", "st_us", "en_us", "n", "brk", viol=ibis.literal(False)
    )


def _segments(b: ir.Table) -> ir.Table:
    wc = ibis.cumulative_window(group_by=[b.performer, b[ACTIVITY]], order_by=b.n)
    return b.mutate(seg=b.brk.cast("int64").sum().over(wc))


def batch_pass(b: ir.Table, gap_us: int) -> ir.Table:
    """One refinement pass: in each candidate batch, settle the first instance the sweep would reject.

    A candidate batch runs from a certain break to the next one; its first instance truly opens a batch,
    so every instance before its first violation (enabled after the candidate's first start, or starting
    more than ``gap_us`` after the latest end so far in the candidate) truly belongs to it, and the first
    violation truly opens the next batch. The instances right after it that would each be rejected by a
    batch opened by their predecessor alone (enabled after its start, or starting more than ``gap_us``
    after its end) are breaks too, one after the other: a run of single instances (typically in the
    shadow of a long overlapping instance) is settled in one pass. Repeating the pass until no violation
    is left reproduces the sweep exactly.

    Returns
    -------
    ibis Table
        ``b`` with ``brk`` updated and ``viol`` (bool: the instance violated its candidate batch before
        this pass; zero violations means the breaks are final).
    """
    b = _segments(b)
    grp = [b.performer, b[ACTIVITY], b.seg]
    ws = ibis.window(group_by=grp)
    wsp = ibis.window(group_by=grp, order_by=b.n, rows=(None, -1))
    wo = ibis.window(group_by=grp, order_by=b.n)
    b = b.mutate(
        first_st=b.st_us.min().over(ws),
        maxend=b.en_us.max().over(wsp),
        single=(
            (b.enabled_us > b.st_us.lag().over(wo)) | ((b.st_us - b.en_us.lag().over(wo)) > gap_us)
        ).fill_null(False),
    )
    viol = ~b.brk & ((b.enabled_us > b.first_st) | ((b.st_us - b.maxend) > gap_us)).fill_null(False)
    b = b.mutate(viol=viol)
    b = b.mutate(first_viol=ibis.cases((b.viol, b.n), else_=ibis.null("int64")).min().over(ws))
    after = b.n > b.first_viol
    b = b.mutate(
        stop=ibis.cases((after & ~b.single, b.n), else_=ibis.null("int64")).min().over(ws),
    )
    run = after & (b.stop.isnull() | (b.n < b.stop))
    new = (b.n == b.first_viol) | run
    b = b.mutate(brk=b.brk | new.fill_null(False))
    return b.select("iid", "performer", ACTIVITY, "enabled_us", "st_us", "en_us", "n", "brk", "viol")


def batch_all_violations(b: ir.Table, gap_us: int) -> ir.Table:
    """Close the passes early: every remaining violation opens a batch (never joins an instance wrongly)."""
    b = _segments(b)
    grp = [b.performer, b[ACTIVITY], b.seg]
    ws = ibis.window(group_by=grp)
    wsp = ibis.window(group_by=grp, order_by=b.n, rows=(None, -1))
    b = b.mutate(first_st=b.st_us.min().over(ws), maxend=b.en_us.max().over(wsp))
    viol = ~b.brk & ((b.enabled_us > b.first_st) | ((b.st_us - b.maxend) > gap_us)).fill_null(False)
    return b.select(
        "iid", "performer", ACTIVITY, "enabled_us", "st_us", "en_us", "n", brk=b.brk | viol, viol=viol
    )


def batch_members(b: ir.Table, min_size: int) -> ir.Table:
    """The batches from the final breaks.

    Returns
    -------
    ibis Table
        One row per instance in a batch of at least ``min_size``: ``iid``, ``performer``, ``activity``,
        ``batch_no`` (int64, per performer and activity), ``batch_size`` (int64), ``batch_ready_us``
        (int64: the latest enabling time of the batch's instances), ``batch_start_us`` (int64: its first
        start).
    """
    b = _segments(b)
    grp = [b.performer, b[ACTIVITY], b.seg]
    ws = ibis.window(group_by=grp)
    b = b.mutate(
        batch_size=b.iid.count().over(ws),
        batch_ready_us=b.enabled_us.max().over(ws),
        batch_start_us=b.st_us.min().over(ws),
    )
    b = b.filter(b.batch_size >= min_size)
    return b.select(
        "iid",
        "performer",
        ACTIVITY,
        batch_no=b.seg,
        batch_size=b.batch_size,
        batch_ready_us=b.batch_ready_us,
        batch_start_us=b.batch_start_us,
    )


# --- busy timeline --------------------------------------------------------------------------------------


def busy_segments(inst: ir.Table, waits: ir.Table) -> ir.Table:
    """Elementary segments of every performer's timeline, with what covers them.

    The boundaries are the starts and ends of the performer's instances with a positive duration and the
    starts of its waiting instances; between two consecutive boundaries the set of instances in progress
    is constant. Each instance is expanded over the segments it covers (``unnest(range(...))``: as many
    rows as segments it spans, so the cost follows multitasking, not the length of the log), and each
    segment keeps the earliest enabling time of the instances covering it. An instance's enabling time
    is its predecessor's completion, but never later than its own start (an instance that started before
    its predecessor finished was enabled by then); the first instance of a case is enabled at its start.

    Returns
    -------
    ibis Table
        ``performer``, ``k`` (int64, segment number), ``x`` (int64, segment start), ``x_next`` (int64,
        nullable: segment end), ``busy`` (bool), ``m_us`` (int64, nullable: earliest enabling time of the
        instances in progress).
    """
    j = inst.filter(inst.performer.notnull() & inst.st_us.notnull() & (inst.en_us > inst.st_us))
    j = j.mutate(enab=ibis.least(j.enabled_us.coalesce(j.st_us), j.st_us))
    pts = (
        j.select("performer", x=j.st_us)
        .union(j.select("performer", x=j.en_us), distinct=False)
        .union(waits.select("performer", x=waits.s_us), distinct=False)
        .distinct()
    )
    w = ibis.window(group_by=pts.performer, order_by=pts.x)
    xs = pts.mutate(k=ibis.row_number().over(w), x_next=pts.x.lead().over(w))
    a = xs.select(pa=xs.performer, xa=xs.x, k0=xs.k)
    z = xs.select(pz=xs.performer, xz=xs.x, k1=xs.k)
    jj = j.join(a, [j.performer == a.pa, j.st_us == a.xa]).join(z, [j.performer == z.pz, j.en_us == z.xz])
    cover = jj.select("performer", "enab", k=ibis.range(jj.k0, jj.k1).unnest())
    m = cover.group_by(["performer", "k"]).aggregate(m_us=cover.enab.min())
    m = m.select(pm=m.performer, km=m.k, m_us=m.m_us)
    s = xs.left_join(m, [xs.performer == m.pm, xs.k == m.km])
    return s.select("performer", "k", "x", "x_next", busy=s.m_us.notnull() & s.x_next.notnull(), m_us=s.m_us)


def busy_clock(seg_w: ir.Table) -> ir.Table:
    """Cumulative busy and busy-working time before each segment.

    Parameters
    ----------
    seg_w : ibis Table
        :func:`busy_segments` with ``w_x`` (int64, W at the segment start, :func:`working_clock`).

    Returns
    -------
    ibis Table
        ``performer``, ``x``, ``x_next``, ``busy``, ``m_us``, ``w_x``, ``cum_busy_us`` and
        ``cum_busy_work_us`` (int64: busy time and busy working time before ``x``).
    """
    s = seg_w
    w = ibis.window(group_by=s.performer, order_by=s.x)
    s = s.mutate(w_next=s.w_x.lead().over(w))
    s = s.mutate(
        blen=ibis.ifelse(s.busy, s.x_next - s.x, 0),
        bwork=ibis.ifelse(s.busy, s.w_next - s.w_x, 0),
    )
    before = ibis.window(group_by=s.performer, order_by=s.x, rows=(None, -1))
    return s.select(
        "performer",
        "k",
        "x",
        "x_next",
        "busy",
        "m_us",
        "w_x",
        cum_busy_us=s.blen.sum().over(before).fill_null(0),
        cum_busy_work_us=s.bwork.sum().over(before).fill_null(0),
    )


def busy_at(waits: ir.Table, clock: ir.Table, time_col: str, w_col: str, prefix: str) -> ir.Table:
    """Add ``{prefix}_b`` and ``{prefix}_bw``: the performer's busy and busy-working time before a time.

    An as-of join finds the segment holding the time; ``B(t) = cum_busy + busy * (t - x)`` and
    ``BW(t) = cum_busy_work + busy * (W(t) - W(x))``. Before the performer's first boundary both are 0.
    """
    c = clock.select(
        cp=clock.performer,
        cx=clock.x,
        cbusy=clock.busy,
        cwx=clock.w_x,
        ccb=clock.cum_busy_us,
        ccbw=clock.cum_busy_work_us,
    )
    j = waits.asof_join(c, on=waits[time_col] >= c.cx, predicates=[waits.performer == c.cp])
    busy = j.cbusy.fill_null(False)
    b = ibis.ifelse(busy, j.ccb + j[time_col] - j.cx, j.ccb.fill_null(0))
    bw = ibis.ifelse(busy, j.ccbw + j[w_col] - j.cwx, j.ccbw.fill_null(0))
    j = j.mutate(**{f"{prefix}_b": b, f"{prefix}_bw": bw})
    return j.drop("cp", "cx", "cbusy", "cwx", "ccb", "ccbw")


def prioritisation_wait_keys(waits: ir.Table, pidx: ir.Table, t0: int, span: int) -> ir.Table:
    """The waiting side of :func:`prioritisation`, with keys that encode the performer.

    ``key = performer_index * span + (time - t0)``: two keys of different performers can never satisfy
    both inequalities of the join, so the join needs no equality on the performer.

    Returns
    -------
    ibis Table
        Waiting instances: ``iid``, ``ke`` (enablement), ``ks`` (start), ``b_us`` (start of the rest of
        the interval, after batching).
    """
    w = waits.join(pidx, waits.performer == pidx.pi_performer)
    return w.select(
        "iid",
        "b_us",
        ke=w.pi_idx * span + (w.enabled_us - t0),
        ks=w.pi_idx * span + (w.s_us - t0),
    )


def prioritisation_busy_keys(clock: ir.Table, pidx: ir.Table, t0: int, span: int) -> ir.Table:
    """The busy side of :func:`prioritisation`, keyed as :func:`prioritisation_wait_keys`.

    Returns
    -------
    ibis Table
        Busy segments: ``km`` (earliest enabling time of what covers it), ``kx`` (its end), ``x``,
        ``x_next`` (its start and end).
    """
    s = clock.filter(clock.busy).join(pidx, clock.performer == pidx.pi_performer)
    return s.select(
        "x",
        "x_next",
        km=s.pi_idx * span + (s.m_us - t0),
        kx=s.pi_idx * span + (s.x_next - t0),
    )


def prioritisation(wk: ir.Table, sk: ir.Table) -> ir.Table:
    """Per waiting instance: the time its performer spent in ``[b, s)`` only on work enabled after it.

    A busy segment counts when the earliest enabling time of the instances covering it is later than
    the instance's enablement ``e`` and it ends by its start ``s``; since no instance starts before it
    is enabled, such a segment starts after ``e``, and only its part after ``b`` (the end of the
    batching prefix) counts. The join has two inequalities on the keys of
    :func:`prioritisation_wait_keys` and :func:`prioritisation_busy_keys`, so DuckDB runs it as one
    inequality join (IEJoin) whose output is the overtaking pairs only.

    Returns
    -------
    ibis Table
        ``iid``, ``prio_us`` (int64), for waiting instances with some prioritisation.
    """
    j = wk.join(sk, [sk.km > wk.ke, sk.kx <= wk.ks])
    part = j.x_next - ibis.greatest(j.x, j.b_us)
    return j.group_by("iid").aggregate(prio_us=ibis.ifelse(part > 0, part, 0).sum())


def prioritisation_equi(waits: ir.Table, clock: ir.Table) -> ir.Table:
    """:func:`prioritisation` by an equality join on the performer (when the combined keys overflow)."""
    s = clock.filter(clock.busy)
    s = s.select(sp=s.performer, m_us=s.m_us, x=s.x, x_next=s.x_next)
    j = waits.join(s, [waits.performer == s.sp, s.m_us > waits.enabled_us, s.x_next <= waits.s_us])
    part = j.x_next - ibis.greatest(j.x, j.b_us)
    return j.group_by("iid").aggregate(prio_us=ibis.ifelse(part > 0, part, 0).sum())
