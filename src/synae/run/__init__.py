"""The application layer: every pipeline synae runs, built from the layers below.

Evaluation (features → metrics → aggregates), comparison, validity sessions, downstream runs,
uncertainty, and the report data the HTML renders. ``report/`` renders these results and ``cli/``
calls these functions; nothing below this package imports it.
"""
