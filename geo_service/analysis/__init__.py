"""Plan analysis: cluster coverage, logistics reach, enclave links, targets and progress.

Pure functions over the catalog (and imported actual figures); the web layer, the CLI and the
page all call these, so they give the same results.
"""

from __future__ import annotations


def run_analysis(kind: str, catalog, targets, actuals, bands=None, year=None) -> dict:
    """One analysis by name: what the API, the page and the CLI all call."""
    from geo_service.analysis.coverage import coverage
    from geo_service.analysis.enclaves import enclaves
    from geo_service.analysis.reach import parse_bands, reach
    from geo_service.analysis.targets import targets_report

    if kind == "coverage":
        return coverage(catalog)
    if kind == "reach":
        return reach(catalog, parse_bands(bands))
    if kind == "enclaves":
        return enclaves(catalog)
    return targets_report(catalog, targets, actuals.rows(), year)
