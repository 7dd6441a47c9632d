"""Pins for packages released after SWE-bench's images were built that break old checkouts.

Applied as pip constraints (``PIP_CONSTRAINT``) only while installing; part of the env hash.
Each entry says which release broke what, so it can be dropped when the checkout no longer needs it.
"""
from __future__ import annotations

DRIFT_CONSTRAINTS: dict[str, list[str]] = {
    "sphinx-doc/sphinx": [
        # Sphinx <4 leaves docutils uncapped. 0.21 (2024-04) dropped the html5 writer's
        # 'footnote-reference' class and reworked image sizes (sphinx-8474 P2P test_html5_output
        # [markup.html-expect65], test_html_scaled_image_link); 0.22 also dropped docutils.utils.roman.
        # SWE-bench's test lists match 0.20.1 exactly. Sphinx 4.0-7.2 cap docutils below 0.21 themselves.
        "docutils<0.21",
        # 2.0.0 (2026-10) refuses Sphinx <5 at setup (VersionRequirementError: test_html_math_renderer_*).
        "sphinxcontrib-jsmath<2",
    ],
}
