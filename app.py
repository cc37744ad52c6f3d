"""The flowready Streamlit app: only a router. Each page lives in ``app_pages/``.

Run with ``streamlit run app.py`` (install the extra first: ``pip install -e ".[app]"``).
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="flowready", page_icon=":material/account_tree:", layout="wide")

st.navigation(
    [
        st.Page("app_pages/load.py", title="Load", icon=":material/upload_file:", default=True),
        st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:"),
        st.Page("app_pages/process.py", title="Process", icon=":material/account_tree:"),
        st.Page("app_pages/bottlenecks.py", title="Bottlenecks", icon=":material/hourglass_bottom:"),
        st.Page("app_pages/handoffs.py", title="Handoffs & rework", icon=":material/swap_horiz:"),
        st.Page("app_pages/readiness.py", title="Readiness", icon=":material/smart_toy:"),
        st.Page("app_pages/blueprint.py", title="Blueprint", icon=":material/schema:"),
    ]
).run()
