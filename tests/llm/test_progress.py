"""Progress lines when stderr is not a terminal (CI logs)."""

from __future__ import annotations

import io

from synae.llm.progress import CallProgress, LogProgress


def test_log_progress_prints_start_every_tenth_and_end_with_rate_and_eta() -> None:
    ticks = iter([0.0, 0.0, *[float(i) for i in range(1, 200)]])
    out = io.StringIO()
    log = LogProgress(100, "embedding", stream=out, clock=lambda: next(ticks))
    log.start()
    for _ in range(100):
        log.advance()
    log.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "embedding: started, 100 items"
    assert len(lines) == 11  # start, 10 %, …, 90 %, end
    assert lines[1].startswith("embedding: 10/100 (10 %), ") and "items/s, ETA" in lines[1]
    assert lines[-1].startswith("embedding: done, 100/100 items in ")


def test_call_progress_logs_when_not_a_terminal(capsys) -> None:
    with CallProgress(20, "judge") as bar:
        for _ in range(20):
            bar.advance("done")
    err = capsys.readouterr().err
    assert "judge: started, 20 requests" in err and "judge: done, 20/20 requests" in err
    assert "requests/s, ETA" in err


def test_a_slow_batch_prints_a_line_every_30_seconds_with_rate_and_eta() -> None:
    ticks = iter([0.0, 0.0, 5.0, 40.0, 45.0, 80.0, 100.0])  # start, then one request every ~20 s
    out = io.StringIO()
    log = LogProgress(100, "judge", stream=out, clock=lambda: next(ticks), unit="requests")
    log.start()
    for _ in range(5):
        log.advance()
    lines = out.getvalue().splitlines()
    assert lines[1:] == ["judge: 2/100 (2 %), 0.05 requests/s, ETA 1960 s",
                         "judge: 4/100 (4 %), 0.05 requests/s, ETA 1920 s"]
