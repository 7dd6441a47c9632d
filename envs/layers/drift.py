"""Pins for packages released after SWE-bench's images were built that break old checkouts.

Applied as pip constraints (``PIP_CONSTRAINT``) only while installing; part of the env hash.
Each entry says which release broke what, so it can be dropped when the checkout no longer needs it.
"""
from __future__ import annotations

DRIFT_CONSTRAINTS: dict[str, list[str]] = {
    "sphinx-doc/sphinx": ["docutils<0.22"],   # 0.22 dropped docutils.utils.roman (latex writer)
}
