"""Scenario replays: generated history with a known incident, loaded into the real stores and analyzed end to end.

:mod:`.build` makes the data (pure), :mod:`.replay` loads it into VictoriaMetrics and the log store and runs the
analyzer's loops and the recommender over it.
"""
