"""Mindshare: an attention-economy engine for virtual worlds.

Measure verified attention, predict where it goes, allocate the places where it
is spent, and settle the value it creates in a double-entry ledger.
"""

__version__ = "0.1.0"
