"""Scoring: everything that turns inputs into results.

Features and metrics (:mod:`.evaluation`, :mod:`.record_features`), one evaluation with all a report
needs (:mod:`.pipeline`: validity, uncertainty, aggregates, report data), pillar scores and labels
(:mod:`.aggregate`, :mod:`.privacy`), validity (:mod:`.validity`), structure warnings
(:mod:`.structure`), bootstrap intervals (:mod:`.uncertainty`), comparisons (:mod:`.compare`),
calibration curves and judge calibration (:mod:`.calibration`, :mod:`.judge_calibration`),
downstream runs (:mod:`.downstream`), and the report's data with PII masked (:mod:`.report_data`,
:mod:`.pii_masking`). The commands (:mod:`synae.run.commands`) call these; they never call a
command.
"""
