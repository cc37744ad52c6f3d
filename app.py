"""The flowready Streamlit app: only a router. Each page lives in ``app_pages/``.

Run with ``streamlit run app.py`` (install the extra first: ``pip install -e ".[app]"``). The filters in
the sidebar are rendered here, before the page, so they keep their values on every page and every page
shows the filtered view.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import filter_sidebar

st.set_page_config(page_title="flowready", page_icon=":material/account_tree:", layout="wide")

page = st.navigation(
    {
        "Data": [
            st.Page("app_pages/load.py", title="Load", icon=":material/upload_file:", default=True),
        ],
        "Explore": [
            st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:"),
            st.Page("app_pages/process.py", title="Process map", icon=":material/account_tree:"),
            st.Page("app_pages/variants.py", title="Variants", icon=":material/alt_route:"),
        ],
        "Findings": [
            st.Page("app_pages/bottlenecks.py", title="Bottlenecks", icon=":material/hourglass_bottom:"),
            st.Page("app_pages/handoffs.py", title="Handoffs & rework", icon=":material/swap_horiz:"),
            st.Page("app_pages/readiness.py", title="Readiness", icon=":material/smart_toy:"),
            st.Page("app_pages/blueprint.py", title="Blueprint", icon=":material/schema:"),
            st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
            st.Page("app_pages/downloads.py", title="Downloads", icon=":material/download:"),
        ],
    }
)
filter_sidebar()
page.run()
