"""Run the ``synae`` console entry point in-process (as a user would, including error handling)."""

from __future__ import annotations

import sys

import pytest

from synae.cli.app import main


def run_synae(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
              ) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``synae <args>``."""
    monkeypatch.setattr(sys, "argv", ["synae", *map(str, args)])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
