"""A real set full of PII and secrets, and a synthetic set that echoes none of it except one real
e-mail used as a trajectory id: for the tests that no raw value reaches a report or results file."""

from __future__ import annotations

from helpers.report_fixtures import trajectory
from synae.schema import Trajectory

EMAIL = "alice.smith@example.com"
# every raw value of the real set (one kind each); none may appear in a shareable output
RAW = (EMAIL, "+1 415 555 0134", "https://bob:hunter2pw@db.example.org/x", "123-45-6789",
       "sk-live-4f9aZ81kQw2LmN7pX3rT6yV0", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "AKIAIOSFODNN7EXAMPLE",
       "https://api.example.com/v1?token=Zx81kQw2LmN7pX3r")
# the secret parts, so that a partial leak (e.g. a truncated text) is caught too
SECRETS = ("alice.smith", "415 555 0134", "hunter2pw", "45-6789", "4f9aZ81kQw2LmN7pX3rT6yV0",
           "abcdefghijklmnopqrstuvwxyz0123456789", "IOSFODNN7", "Zx81kQw2LmN7pX3r")


def pii_sets(n_real: int = 12, n_synthetic: int = 8) -> tuple[list[Trajectory], list[Trajectory]]:
    """Real trajectories whose instruction, output and ``contact`` attribute hold the raw values
    (in turn), and synthetic ones without PII but for the first, whose id is a real e-mail."""
    real = [trajectory(f"r{i}", f"please contact {RAW[i % len(RAW)]} about order {i}", ["send"],
                       answer=f"done, wrote to {RAW[(i + 1) % len(RAW)]}",
                       attributes={"contact": RAW[(i + 2) % len(RAW)]})
            for i in range(n_real)]
    synthetic = [trajectory(EMAIL if i == 0 else f"s{i}", f"write to the shop about order {i}",
                            ["send", "book"][: 1 + i % 2], answer="ok", attributes={"contact": "shop"})
                 for i in range(n_synthetic)]
    return real, synthetic


def leaked(text: str) -> list[str]:
    """The raw values and secret parts that occur in ``text``."""
    return [v for v in (*RAW, *SECRETS) if v in text]
