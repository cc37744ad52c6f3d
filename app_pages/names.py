"""What the app calls the library's parameters: the labels of its widgets, and messages in those words.

The library's messages and data-quality notes name Python parameters (``dayfirst=True``,
``timestamp_format``, ``case_id`` between backticks; see :mod:`mapper.errors`). The app shows them with
the names of its own widgets instead, through :func:`app_message`. The Load page builds its widgets
from the labels below, so a label and its translation cannot drift apart.
"""

from __future__ import annotations

from mapper.columns import OPTIONAL, REQUIRED
from mapper.errors import translate

#: Canonical column -> the label of its choice on the Load page ("(required)" is added to the required).
COLUMN_LABELS = {
    "case_id": "Case id",
    "activity": "Activity",
    "timestamp": "Completion time",
    "start_timestamp": "Start time",
    "resource": "Resource (person or system)",
    "role": "Role or team",
    "lifecycle": "Lifecycle (start/complete)",
}
#: The option of an optional column's choice that says "the file has none".
NONE = "(none)"
DATE_ORDER_LABEL = "Date order of numeric dates"
#: Date-order option -> ``dayfirst``.
DATE_ORDER = {
    "Detect (refuse if ambiguous)": None,
    "Day first (01/02 = 1 February)": True,
    "Month first (01/02 = 2 January)": False,
}
TIMEZONE_LABEL = "Time zone of timestamps without an offset (IANA name)"
TIMESTAMP_FORMAT_LABEL = "Timestamp format (optional, strptime)"
DROP_BAD_LABEL = (
    "Drop rows whose timestamp cannot be read (they are counted in the report) instead of stopping"
)
DROP_DUPLICATES_LABEL = "Drop rows that repeat an earlier row in every column (they are always counted)"
ESTIMATE_LABEL = "Estimate missing start times (pix-framework; slow: minutes on large logs)"
MORE_OPTIONS_LABEL = "More options: duplicates, start-time estimation, pseudonymisation"
SHEET_LABEL = "Sheet"
OBJECT_TYPE_LABEL = "Object type: its objects become the cases"


def column_label(canon: str) -> str:
    """The label of the Load page's choice for a canonical column."""
    return f"{COLUMN_LABELS[canon]} (required)" if canon in REQUIRED else COLUMN_LABELS[canon]


def _date_order(dayfirst: bool) -> str:
    option = next(k for k, v in DATE_ORDER.items() if v is dayfirst)
    return f"the '{DATE_ORDER_LABEL}' choice '{option}'"


#: Library parameter (or ``parameter=value``) -> how the app names it (see :func:`mapper.errors.translate`).
WIDGET_NAMES: dict[str, str] = {
    **{canon: f"the '{column_label(canon)}' choice under Columns" for canon in (*REQUIRED, *OPTIONAL)},
    **{f"{canon}=''": f"'{NONE}' for '{COLUMN_LABELS[canon]}' under Columns" for canon in OPTIONAL},
    "dayfirst": f"the '{DATE_ORDER_LABEL}' choice",
    "dayfirst=True": _date_order(True),
    "dayfirst=False": _date_order(False),
    "timestamp_format": f"the '{TIMESTAMP_FORMAT_LABEL}' box",
    "timestamp_format=": f"{{value}} in the '{TIMESTAMP_FORMAT_LABEL}' box",
    "timezone": f"the '{TIMEZONE_LABEL}' box",
    "on_bad_timestamp": f"the '{DROP_BAD_LABEL}' checkbox",
    "on_bad_timestamp='drop'": f"the '{DROP_BAD_LABEL}' checkbox",
    "drop_duplicates": f"the '{DROP_DUPLICATES_LABEL}' checkbox (under More options)",
    "drop_duplicates=True": f"the '{DROP_DUPLICATES_LABEL}' checkbox (under More options)",
    "estimate_start_times": f"the '{ESTIMATE_LABEL}' checkbox (under More options)",
    "estimate_start_times=True": f"the '{ESTIMATE_LABEL}' checkbox (under More options)",
    "sheet": f"the '{SHEET_LABEL}' choice",
    "object_type": f"the '{OBJECT_TYPE_LABEL}' choice",
    # the filters in the sidebar (app_pages.common.filter_sidebar)
    "time_range": "the 'Date range' filter",
    "time_mode": "the 'Which cases' filter",
    "attributes": "the 'Attribute' filter",
    "attribute_mode": "the 'Values' choice of the attribute filter",
    "variants": "the 'Variants' filter",
    "case_hours": "the 'Case duration' filter",
    # options of the analysis offered on other pages
    "equity_attributes": "the 'Case attributes to treat as sensitive' choice (Readiness page)",
    "profile": "the 'Readiness profile (YAML)' upload (Readiness page)",
    "performer_types": "the performer types table (Handoffs page)",
    "overrides": "the performer types table (Handoffs page)",
}


def app_message(message: object) -> str:
    """A library message (or error, or data-quality note) in the app's words.

    Returns
    -------
    str
        ``message`` with the parameters it names replaced by the widgets of :data:`WIDGET_NAMES`, e.g.
        "Set `drop_duplicates=True` to drop them." -> "Set the 'Drop rows that repeat ...' checkbox
        (under More options) to drop them." Parameters the app has no widget for are left as they are.
    """
    return translate(message, WIDGET_NAMES)
