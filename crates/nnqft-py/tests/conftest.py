"""Shared fixtures of the nnqft Python tests: the repository root (for the README, the
committed reports and the CLI) and the command that runs the CLI."""

import os
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> list[str]:
    """The CLI's `sample` command prefix: `$NNQFT_CLI` if set (e.g. a built binary), else
    `cargo run -q -p xtask --` from the repository root."""
    custom = os.environ.get("NNQFT_CLI")
    return shlex.split(custom) if custom else ["cargo", "run", "-q", "-p", "xtask", "--"]
