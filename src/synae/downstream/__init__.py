"""Downstream evaluation (``docs/method.md`` §7.4): agents run on real and synthetic trajectories,
their runs are scored against each trajectory's own reference, and the per-agent success rates become
``fidelity.downstream.tdd`` / ``rd`` (``docs/method.md`` §3.7).

Modules: :mod:`.agents` (model agents and scripted baselines), :mod:`.prompts` (T1/BFCL prompts),
:mod:`.loop` (the per-benchmark turn loops), :mod:`.scoring` (is a run a success?), :mod:`.run`
(success rates, metrics, call budget), :mod:`.complete` (agent completion for generators).
"""
