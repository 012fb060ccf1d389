"""P6: redeploying an unchanged 14 MB model over SSH (loopback OpenSSH) vs the first deploy and plain scp.

Each round: wipe the device's edgetk cache, deploy (first: everything is sent), deploy again (unchanged:
content-addressed cache, nothing should be sent), and scp the same file. Loopback has no network cost, so
the redeploy time is edgetk's own overhead (process start, SSH handshake, hash check).
"""

from __future__ import annotations

import json

from benchmarks import loopback
from benchmarks.harness import Context, Row, Sample, Section, Spread, interleave, run_child, spread
from benchmarks.models import ensure

TITLE = "`edgetk deploy` of an unchanged 14 MB model over SSH (loopback sshd) vs first deploy and scp"
USER = "edgetk-perf1"
GOAL_S = 1.5


def measure(ctx: Context) -> Section:
    model = ensure("mobilenetv2")["mobilenetv2"]
    srv = loopback.start(ctx.work / "sshd-p6", [USER])
    try:
        inv = loopback.write_inventory(ctx.work / "p6-devices.toml", srv, [USER])
        argv = ctx.edgetk("deploy", model, "--device", USER, "--inventory", inv, "--json")
        sent: dict[str, list[int]] = {"first": [], "again": []}

        def deploy(kind: str):
            def once() -> Sample:
                if kind == "first":
                    loopback.wipe_remote_cache(USER)
                s = run_child(argv, env=ctx.env, ok_codes=(0,))
                files = json.loads(s.stdout)["files"]
                sent[kind].append(next(f["bytes_sent"] for f in files if f["name"] == model.name))
                return s
            return once

        scp = ctx.child(loopback.scp_argv(srv, USER, model, "scp-copy.tflite"), ok_codes=(0,))
        runs = interleave({"first": deploy("first"), "again": deploy("again"), "scp": scp}, ctx.rounds)
    finally:
        srv.stop()
    first, again, anchor = spread(runs["first"]), spread(runs["again"]), spread(runs["scp"])
    size = model.stat().st_size
    resent = Spread(tuple(float(b) for b in sent["again"]))
    rows = [
        Row("P6", f"redeploy, unchanged model ({size / 1e6:.1f} MB): wall time", again, anchor, "scp of the file",
            goal=f"≤ {GOAL_S} s", met=again.median <= GOAL_S),
        Row("P6", "redeploy: model bytes resent", resent, None, unit="B", goal="0 bytes",
            met=resent.max == 0),
        Row("P6", "first deploy (cache wiped): wall time", first, anchor, "scp of the file",
            note=f"sent {min(sent['first']):,}–{max(sent['first']):,} bytes of the model"),
    ]
    return Section("P6", TITLE, rows)
