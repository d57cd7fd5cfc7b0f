"""Shared helpers for the spec-layer tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def write(tmp_path, monkeypatch):
    """``write(name, text)`` puts a dedented file into a temp folder (cwd, so paths print relative)."""
    monkeypatch.chdir(tmp_path)

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def _no_env_overlay(monkeypatch):
    """Tests choose their environment explicitly; the caller's shell must not leak in."""
    monkeypatch.delenv("HEVO_DAGFACTORY_ENV", raising=False)
