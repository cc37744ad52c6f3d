"""Doctest setup: docstring examples in ``mapper`` and ``analysis`` run in the suite, from the repo root.

Every example may use ``load_event_log``, ``pd`` and ``SAMPLE`` (the bundled sample's path) without
importing them, so examples stay short; anything else they import themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctest_setup(request, doctest_namespace):
    from mapper import load_event_log

    doctest_namespace.update(load_event_log=load_event_log, pd=pd, SAMPLE="sample_logs/council_permits.csv")
    if request.node.__class__.__name__ == "DoctestItem":  # examples name paths relative to the repo root
        old = os.getcwd()
        os.chdir(ROOT)
        yield
        os.chdir(old)
    else:
        yield
