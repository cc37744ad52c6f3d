"""A log whose names are full of markup, for the tests that check every output shows them as text.

Shared by ``tests/analysis/test_hostile_names.py`` (report, PDF, SVG, BPMN, JSON) and
``tests/e2e/test_hostile_app.py`` (the app in a real browser).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BOLD = "<b>bold</b>"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ENTITY = "&amp; \"quoted\" 'single'"
ACTIVITIES = [BOLD, SCRIPT, IMG, ENTITY]
RESOURCES = ["<i>ann</i>", "bob & <u>co</u>", '"eve" <a href="javascript:alert(2)">x</a>']
ROLES = ["<b>team</b>", "ops&amp;"]
CHANNELS = ["<i>web</i>", "<script>x</script>"]


def hostile_events() -> pd.DataFrame:
    """60 cases through the four hostile steps (every third with a rework loop), three hostile
    resources in two hostile teams, start and end times, a hostile case attribute.

    Returns
    -------
    pandas.DataFrame
        ``case_id``, ``activity`` (str), ``start``, ``end`` (datetime64[ns], naive), ``resource``,
        ``role``, ``channel`` (str).
    """
    rng = np.random.default_rng(0)
    rows = []
    t0 = pd.Timestamp("2024-01-01 08:00")
    for c in range(60):
        t = t0 + pd.Timedelta(hours=int(rng.integers(0, 500)))
        path = ACTIVITIES if c % 3 else [BOLD, SCRIPT, BOLD, SCRIPT, IMG, ENTITY]
        for i, a in enumerate(path):
            start = t + pd.Timedelta(minutes=int(rng.integers(5, 600)))
            end = start + pd.Timedelta(minutes=int(rng.integers(5, 90)))
            rows.append((f"c{c}", a, start, end, RESOURCES[(c + i) % 3], ROLES[i % 2], CHANNELS[c % 2]))
            t = end
    return pd.DataFrame(rows, columns=["case_id", "activity", "start", "end", "resource", "role", "channel"])
