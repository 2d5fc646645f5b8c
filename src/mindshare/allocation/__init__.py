"""Allocation: who gets which slot. Exposure models, per-request ranking policies, fair
exposure and batch market clearing, all pure functions over arrays (no database access).
"""
