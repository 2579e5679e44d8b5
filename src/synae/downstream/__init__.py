"""Downstream evaluation (``validity_downstream.md`` §5): agents run on real and synthetic trajectories,
their runs are scored against each trajectory's own reference, and the per-agent success rates become
``fidelity.downstream.tdd`` / ``rd`` (``metrics.md`` §2.5).

Modules: :mod:`.agents` (model agents and scripted baselines), :mod:`.prompts` (T1/BFCL prompts),
:mod:`.loop` (the per-benchmark turn loops), :mod:`.scoring` (is a run a success?), :mod:`.run`
(success rates, metrics, call budget), :mod:`.complete` (agent completion for generators).
"""
