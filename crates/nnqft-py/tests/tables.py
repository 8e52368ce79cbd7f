"""Helpers shared by the tests: comparing a table of the Python package with the CLI's Parquet."""

import math

import numpy as np


def assert_same_table(t, cli, columns):
    """`t` (a dict of columns from nnqft) has exactly `columns`, and so has `cli` (a Parquet file's
    `to_pydict()`, besides its `run_id`), value for value: strings equal, numbers bit for bit, a
    Parquet null equal to NaN."""
    assert list(t) == columns
    assert [c for c in cli if c != "run_id"] == columns
    for name in columns:
        if isinstance(t[name], list):
            assert t[name] == cli[name], name
        else:
            theirs = np.array([math.nan if v is None else v for v in cli[name]], dtype=t[name].dtype)
            assert np.array_equal(t[name], theirs, equal_nan=True), name
