"""Unattended runs: a watchlist of companies reporting earnings, scheduled briefings, and CSV batches.

``watchlist`` reads and validates the TOML file, ``due`` works out which briefings are due on a
date, ``batch`` reads a CSV of requests, ``state`` records every run in SQLite so nothing is
produced twice, ``runner`` runs them in parallel, and ``cli`` is the ``schedule`` and ``batch``
commands.
"""
