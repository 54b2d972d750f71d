"""``python -m geo_service recheck [--since DATE] [--check ID ...] [--version N]``: re-check the
register against a zones version in this process (the same record and functions as
``POST /api/rechecks``) and print the Chinese summary."""

from __future__ import annotations

import argparse
import sys

from geo_service.messages import Msg

#: Changed parcels printed at most (the CSV/XLSX of the record list all of them).
MAX_PRINTED = 50


def add_recheck_command(commands) -> None:
    parser = commands.add_parser(
        "recheck", help="re-check the register against a zones layer version"
    )
    parser.add_argument("--since", help="only checks made since this date (2026-03-01)")
    parser.add_argument(
        "--check", action="append", dest="checks", help="a check id (repeat for more)"
    )
    parser.add_argument("--version", help="the zones layer version (default: the current one)")
    parser.set_defaults(func=recheck_command)


def say(key: str, **params) -> None:
    print(Msg(key, **params).text(), flush=True)


def recheck_command(args: argparse.Namespace, user: str = "") -> int:
    from geo_service import create_app
    from geo_service.land import recheck_run
    from geo_service.land.export import STATUS_ZH
    from geo_service.store.rechecks import RecheckRecords

    if not user:
        from geo_service.__main__ import local_user

        user = local_user()
    app = create_app()
    ext, config = app.extensions, app.config
    store = ext["geo_service.store"]
    done = recheck_run.run_in_process(
        store,
        ext["geo_service.register"],
        {
            "since": args.since,
            "checks": ",".join(args.checks) if args.checks else None,
            "version": args.version,
        },
        (user, "命令行 cli"),
        {
            "time_zone": config["TIME_ZONE"],
            "max_checks": int(config["RECHECK_MAX_CHECKS"]),
            "max_parcels": int(config["RECHECK_MAX_PARCELS"]),
            "tolerance_m2": float(config["RECHECK_TOLERANCE_M2"]),
        },
    )
    recheck_id = done["id"]
    records = RecheckRecords(store.engine)
    if done["status"] != "done":
        message = (done.get("error") or {}).get("message", done["status"])
        print(Msg("cli.recheck_failed", id=recheck_id, message=message).text(), file=sys.stderr)
        return 1
    s = done["summary"]
    say(
        "cli.recheck_summary",
        id=recheck_id,
        version=done["zones_version"],
        checks=s["checks"],
        parcels=s["parcels"],
        changed=s["changed"],
        skipped=s["skipped"],
    )
    for t in s["transitions"]:
        say(
            "cli.recheck_transition",
            before=t["before_zh"],
            after=t["after_zh"],
            parcels=t["parcels"],
            changed=t["changed"],
        )
    for check in s.get("skipped_checks", []):
        say("cli.recheck_skipped", id=check["id"], reason=check["reason"])
    for parcel in records.iter_parcels(recheck_id, limit=MAX_PRINTED):
        say(
            "cli.recheck_parcel",
            parcel=parcel["parcel_id"],
            check=parcel["check_id"],
            before=STATUS_ZH[parcel["before"]["status"]],
            after=STATUS_ZH[parcel["after"]["status"]],
            inside_before=f"{parcel['before']['inside_m2']:.2f}",
            inside_after=f"{parcel['after']['inside_m2']:.2f}",
            change=f"{parcel['change_m2']:+.2f}",
            change_mu=f"{parcel['change_mu']:+.4f}",
        )
    return 0
