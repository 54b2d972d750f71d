"""The plans' targets as data, and progress against them from imported actual figures.

Targets come from ``layers/src/targets.toml`` (city and zone targets, 72号/71号) and the
clusters layer (2020 outputs, 71号), each with its exact wording and document number.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

from geo_service.catalog import Catalog
from geo_service.messages import Msg, record

SAMPLE_LABEL = Msg("targets.sample_label")


def load_targets(layers_dir: Path) -> dict:
    with open(Path(layers_dir) / "src" / "targets.toml", "rb") as handle:
        data = tomllib.load(handle)
    with open(Path(layers_dir) / "src" / "plan.toml", "rb") as handle:
        documents = tomllib.load(handle)["documents"]
    for target in data["targets"]:
        target["document_title"] = documents[target["document"]]
        target["citation"] = (
            f"{documents[target['document']].split(' ')[0]} "
            f"{target['section']}：{target['wording']}"
        )
    data["assessment"]["citation"] = (
        f"{documents['72'].split(' ')[0]} {data['assessment']['section']}："
    )
    return data


def progress_share(actual: float | None, target: float) -> float | None:
    return None if actual is None else round(actual / target, 4)


def met(actual: float | None, target: dict) -> bool | None:
    if actual is None:
        return None
    return actual > target["value"] if target["comparison"] == ">" else actual >= target["value"]


def targets_report(
    catalog: Catalog, targets: dict, rows: list[dict], year: int | None = None
) -> dict:
    """Progress for ``year`` (default: the latest year with figures)."""
    values: dict[tuple, float] = {}
    samples: set[tuple] = set()
    for r in rows:
        key = (r["year"], r["subject"], r["id"], r["indicator"])
        values[key] = r["value"]
        if r["sample"]:
            samples.add(key)
    years = sorted({r["year"] for r in rows})
    asked = year
    used_sample = False

    def year_for(subject: str, target_year: int) -> int | None:
        """The asked year; else the target's own year if it has figures; else the latest."""
        if asked:
            return asked
        have = sorted({k[0] for k in values if k[1] == subject})
        return target_year if target_year in have else (have[-1] if have else None)

    cluster_year = year_for("cluster", 2020)
    year = year_for("zone", 2021)

    def value(subject: str, object_id: str, indicator: str, at: int | None = year):
        nonlocal used_sample
        key = (at, subject, object_id, indicator)
        if key in samples:
            used_sample = True
        return values.get(key)

    zones = {f["id"]: f["properties"]["name"] for f in catalog.get("zones").features}
    clusters = []
    for feature in catalog.get("clusters").features:
        p = feature["properties"]
        actual = value("cluster", feature["id"], "output_yi", cluster_year)
        target = p.get("target_2020_yi")
        if isinstance(target, bool) or not isinstance(target, int | float):
            target = None  # an edit may have dropped it or written words: no progress then
        clusters.append(
            {
                "id": feature["id"],
                "name": p["name"],
                "target_2020_yi": target,
                "target_wording": p.get("target_wording", ""),
                "document": "安政办发〔2018〕71号",
                "actual_yi": actual,
                "progress": progress_share(actual, target) if target else None,
                "sample": (cluster_year, "cluster", feature["id"], "output_yi") in samples,
            }
        )
    per_zone = defaultdict(dict)
    for (at, subject, object_id, indicator), v in values.items():
        if at == year and subject == "zone":
            per_zone[object_id][indicator] = v
    results = []
    for target in targets["targets"]:
        result = evaluate(target, per_zone, clusters, zones, value, year)
        result["figures_year"] = cluster_year if target["subject"] == "cluster" else year
        results.append(result)
    ranking = ranking_of(per_zone, zones, targets["assessment"])
    return {
        "year": year,
        "years": years,
        # what a page offers to pick: the years with figures and the targets' own years
        "year_options": sorted(set(years) | {t["year"] for t in targets["targets"]} | {2020}),
        "targets": results,
        "clusters": clusters,
        "ranking": ranking,
        "assessment": targets["assessment"],
        "sample": used_sample,
        # sample_label and note: texts in Chinese, with ``i18n`` for other languages
        **record(sample_label=SAMPLE_LABEL if used_sample else "", note=Msg("targets.note")),
    }


def evaluate(target: dict, per_zone: dict, clusters: list, zones: dict, value, year) -> dict:
    out = {
        k: target[k]
        for k in (
            "id",
            "label",
            "value",
            "unit",
            "comparison",
            "scope",
            "year",
            "citation",
            "document_title",
        )
    }
    indicator = target["indicator"]
    if target["subject"] == "cluster":
        figures = [c["actual_yi"] for c in clusters if c["actual_yi"] is not None]
        actual = sum(figures) if figures else None
        out.update(
            actual=actual,
            met=met(actual, target),
            progress=progress_share(actual, target["value"]),
            covered=len(figures),
        )
        return out
    if indicator == "built_area_growth":
        growth = {}
        for zone_id in per_zone:
            now, before = (
                per_zone[zone_id].get("built_area_km2"),
                value("zone", zone_id, "built_area_km2", year - 1 if year else None),
            )
            if now is not None and before:
                growth[zone_id] = round((now / before - 1) * 100, 2)
        total_now = sum(per_zone[z]["built_area_km2"] for z in growth)
        total_before = sum(value("zone", z, "built_area_km2", year - 1) for z in growth)
        actual = round((total_now / total_before - 1) * 100, 2) if growth else None
        out.update(
            actual=actual,
            met=met(actual, target),
            covered=len(growth),
            per_zone=[
                {"id": z, "name": zones[z], "actual": g, "met": g >= target["value"]}
                for z, g in growth.items()
            ],
        )
        return out
    figures = {z: v[indicator] for z, v in per_zone.items() if indicator in v}
    if target["scope"] == "total":
        actual = sum(figures.values()) if figures else None
        out.update(
            actual=actual,
            met=met(actual, target),
            progress=progress_share(actual, target["value"]),
            covered=len(figures),
        )
    elif target["scope"] == "each":
        checks = [
            {"id": z, "name": zones[z], "actual": v, "met": met(v, target)}
            for z, v in figures.items()
        ]
        out.update(
            actual=sum(c["met"] for c in checks) if checks else None,
            covered=len(checks),
            met=all(c["met"] for c in checks) if checks else None,
            per_zone=checks,
            **record(actual_unit=Msg("targets.zones_met")),
        )
    else:  # count of zones over a threshold
        upper = target.get("below", float("inf"))
        over = sorted(zones[z] for z, v in figures.items() if target["threshold"] < v <= upper)
        out.update(
            actual=len(over) if figures else None,
            covered=len(figures),
            met=met(len(over), target) if figures else None,
            zones=over,
            threshold=target["threshold"],
        )
    return out


def ranking_of(per_zone: dict, zones: dict, assessment: dict) -> list[dict]:
    indicator = assessment["ranked_by"]
    ranked = sorted(
        ((v[indicator], z) for z, v in per_zone.items() if indicator in v), reverse=True
    )
    return [
        {"rank": i, "id": z, "name": zones[z], "value": v, "top": i <= assessment["top"]}
        for i, (v, z) in enumerate(ranked, start=1)
    ]
