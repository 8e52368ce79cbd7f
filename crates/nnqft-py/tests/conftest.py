"""Shared fixtures of the nnqft Python tests: the repository root (for the README, the
committed reports and the CLI) and the commands that run the CLIs."""

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


@pytest.fixture(scope="session")
def nnqft_bin() -> list[str]:
    """The `nnqft` command line: `$NNQFT_BIN` if set (a built binary: the wheel test runs
    without cargo), else `cargo run -q -p nnqft-cli --` from the repository root."""
    custom = os.environ.get("NNQFT_BIN")
    return shlex.split(custom) if custom else ["cargo", "run", "-q", "-p", "nnqft-cli", "--"]
