"""Estimate the start (and enablement) times of activity instances in logs that record only completions.

The estimator is the one in ``pix_framework.enhancement.start_time_estimator`` (Chapela-Campa & Dumas):
an instance can start no earlier than it was enabled (the completion of the activity that causally
precedes it, from a concurrency oracle) and no earlier than its resource became available (the
resource's previous completion); the estimate is the later of the two. Instances for which neither is
known get the median estimated duration of their activity.

Estimated start times are marked in the ``start_estimated`` column and in the log's data-quality
report, and the analyses say so wherever they use processing times.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, START_ESTIMATED, START_TIMESTAMP, TIMESTAMP
from mapper.errors import EventLogError

#: Column of the enablement time the estimator computes (``datetime64[ns, UTC]``).
ENABLED_TIMESTAMP = "enabled_timestamp"
_MISSING_RESOURCE = "__flowready_no_resource__"


@dataclass(frozen=True)
class StartTimeEstimate:
    """An event table with estimated start times, and how many were estimated (:func:`estimate_start_times`).

    Attributes
    ----------
    events : pandas.DataFrame
        The event table given, same rows and order, with ``start_timestamp`` (``datetime64[ns, UTC]``:
        recorded where there was one, else the estimate, never after the completion),
        ``start_estimated`` (bool: the start was estimated) and ``enabled_timestamp``
        (``datetime64[ns, UTC]``: when the instance became enabled).
    method : str
        The estimator and its settings, in words.
    estimated : int
        Instances whose start was estimated.
    recorded : int
        Instances whose recorded start was kept.
    unestimated : int
        Estimated instances the estimator could not place even with the median duration; their start is
        set to their completion.
    instant : int
        Estimated instances of zero duration.
    """

    events: pd.DataFrame
    method: str
    estimated: int
    recorded: int
    unestimated: int
    instant: int

    def report(self) -> dict:
        """The counts as a new dict: ``method``, ``estimated``, ``recorded``, ``unestimated``, ``instant``
        (what :func:`mapper.load_event_log` keeps in ``quality.details["start_time_estimation"]``)."""
        return {
            "method": self.method,
            "estimated": self.estimated,
            "recorded": self.recorded,
            "unestimated": self.unestimated,
            "instant": self.instant,
        }

    def to_frame(self) -> pd.DataFrame:
        """The event table with its estimated starts (a copy of :attr:`events`)."""
        return self.events.copy()

    def processing_hours(self) -> pd.DataFrame:
        """Per activity, the processing time the (recorded or estimated) starts give.

        Returns
        -------
        pandas.DataFrame
            ``activity`` (str), ``events`` (int64), ``estimated`` (int64: events whose start was
            estimated), ``processing_hours_median`` (float, hours from start to completion), most events
            first.

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> first = log.table().filter(log.table().case_id.isin(["PP-0001", "PP-0002"])).to_pandas()
        >>> estimate = estimate_start_times(first.drop(columns=["start_timestamp"]))
        >>> int(estimate.processing_hours()["events"].sum()) == len(first)
        True
        """
        e = self.events
        hours = (e[TIMESTAMP] - e[START_TIMESTAMP]).dt.total_seconds() / 3600
        d = pd.DataFrame({ACTIVITY: e[ACTIVITY], "hours": hours, "estimated": e[START_ESTIMATED]})
        out = d.groupby(ACTIVITY, sort=False).agg(
            events=("hours", "size"),
            estimated=("estimated", "sum"),
            processing_hours_median=("hours", "median"),
        )
        out = out.reset_index().astype({"events": "int64", "estimated": "int64"})
        return out.sort_values(["events", ACTIVITY], ascending=[False, True]).reset_index(drop=True)

    def plot(self):
        """A plotly bar chart of the median processing hours per activity that the estimated starts give.

        Returns
        -------
        plotly.graph_objects.Figure
            One horizontal bar per activity (:meth:`processing_hours`; x: median hours from start to
            completion; hover: events and how many starts were estimated); names escaped.

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> first = log.table().filter(log.table().case_id.isin(["PP-0001", "PP-0002"])).to_pandas()
        >>> estimate = estimate_start_times(first.drop(columns=["start_timestamp"]))
        >>> len(estimate.plot().data[0].y) == first["activity"].nunique()
        True
        """

        from mapper.escape import bar_chart

        d = self.processing_hours()
        return bar_chart(
            d[ACTIVITY],
            d["processing_hours_median"],
            customdata=d[["events", "estimated"]].to_numpy(),
            hover="%{y}: %{x:.2f} h (median)<br>%{customdata[0]:,} events, "
            "%{customdata[1]:,} starts estimated",
            title=f"Processing time per activity, {self.estimated:,} starts estimated",
            x_title="median hours from start to completion",
            row_height=24,
        )

    def _repr_html_(self) -> str:
        return (
            f"<b>Start times</b>: {self.estimated:,} estimated, {self.recorded:,} recorded, "
            f"{self.unestimated:,} not placeable (start = completion), {self.instant:,} instant."
            f"<br><i>{html.escape(self.method)}</i>" + self.processing_hours().to_html(index=False)
        )


def estimate_start_times(events: pd.DataFrame, *, source: str = "<events>") -> StartTimeEstimate:
    """Estimate ``start_timestamp`` where it is missing, with pix-framework's start-time estimator.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical event table (see :class:`mapper.EventLog`): ``case_id``, ``activity`` (str),
        ``timestamp`` (``datetime64[ns, UTC]``, completion), optional ``resource`` (str) and
        ``start_timestamp`` (recorded starts are kept). Not changed.

    Returns
    -------
    StartTimeEstimate
        The new event table (:attr:`StartTimeEstimate.events`: same rows and order, with
        ``start_timestamp``, ``start_estimated`` and ``enabled_timestamp``) and the counts: how many
        starts were estimated, kept, not placeable, instant.

    Raises
    ------
    EventLogError
        When pix-framework is not installed or the estimator fails on this log.

    References
    ----------
    Chapela-Campa, D. & Dumas, M. (2022), "Enhancing business process simulation models with extraneous
    activity delays", and Chapela-Campa & Dumas (2021), "Estimating activity start timestamps in the
    presence of waiting times via process simulation"; implementation:
    ``pix_framework.enhancement.start_time_estimator`` (Apache-2.0).
    """
    try:
        from pix_framework.enhancement.start_time_estimator.config import (
            ConcurrencyOracleType,
            Configuration,
            ReEstimationMethod,
            ResourceAvailabilityType,
        )
        from pix_framework.enhancement.start_time_estimator.estimator import StartTimeEstimator
        from pix_framework.io.event_log import EventLogIDs
    except ImportError:
        raise EventLogError(
            "estimating start times needs the pix-framework package: pip install 'pix-framework>=0.15'."
        ) from None

    ids = EventLogIDs(
        case=CASE_ID,
        activity=ACTIVITY,
        resource=RESOURCE,
        start_time="pix_start",
        end_time="pix_end",
        enabled_time="pix_enabled",
        available_time="pix_available",
        estimated_start_time="pix_estimated",
    )
    recorded = (
        events[START_TIMESTAMP]
        if START_TIMESTAMP in events
        else pd.Series(pd.NaT, index=events.index, dtype="datetime64[ns, UTC]")
    )
    work = pd.DataFrame(
        {
            CASE_ID: events[CASE_ID].astype(str).to_numpy(),
            ACTIVITY: events[ACTIVITY].astype(str).to_numpy(),
            RESOURCE: (
                events[RESOURCE].astype(object).where(events[RESOURCE].notna(), _MISSING_RESOURCE).to_numpy()
                if RESOURCE in events
                else _MISSING_RESOURCE
            ),
            "pix_end": events[TIMESTAMP].to_numpy(),
            "pix_start": recorded.to_numpy(),
        }
    )
    config = Configuration(
        log_ids=ids,
        concurrency_oracle_type=ConcurrencyOracleType.HEURISTICS,
        resource_availability_type=ResourceAvailabilityType.SIMPLE,
        missing_resource=_MISSING_RESOURCE,
        re_estimation_method=ReEstimationMethod.MEDIAN,
        reuse_current_start_times=bool(recorded.notna().any()),
    )
    try:
        estimator = StartTimeEstimator(work, config)
        out = estimator.estimate()
    except Exception as exc:  # the estimator's own errors, whatever their type
        raise EventLogError(
            f"{source}: the start-time estimator failed ({type(exc).__name__}: {exc}). Run without "
            "start-time estimation."
        ) from None
    est = pd.to_datetime(out["pix_estimated"], utc=True)
    enabled = pd.to_datetime(out["pix_enabled"], utc=True)
    end = pd.to_datetime(work["pix_end"], utc=True)
    # The estimate can never be after the completion, nor before nothing: clip and fill.
    est = est.where(est.isna() | (est <= end), end)
    unestimated = int(est.isna().sum())
    est = est.fillna(end)
    use_recorded = recorded.notna().to_numpy()
    start = np.where(use_recorded, recorded.to_numpy(), est.to_numpy())
    result = events.copy()
    result[START_TIMESTAMP] = pd.Series(start, index=events.index).astype("datetime64[ns, UTC]")
    result[START_ESTIMATED] = ~use_recorded
    result[ENABLED_TIMESTAMP] = pd.Series(enabled.to_numpy(), index=events.index).astype(
        "datetime64[ns, UTC]"
    )
    estimated = int((~use_recorded).sum())
    instant = int(((result[START_TIMESTAMP] == result[TIMESTAMP]) & result[START_ESTIMATED]).sum())
    return StartTimeEstimate(
        events=result,
        method="pix-framework start-time estimator (Chapela-Campa & Dumas): heuristics concurrency "
        "oracle, simple resource availability, median re-estimation",
        estimated=estimated,
        recorded=int(use_recorded.sum()),
        unestimated=unestimated,
        instant=instant,
    )
