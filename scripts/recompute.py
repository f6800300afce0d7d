#!/usr/bin/env python3
"""Recomputes a run's figures from its raw records, independently of the
harness's TypeScript analysis, and compares them with report.json.

Usage: python3 scripts/recompute.py REPORT_DIR
Exits 0 when every figure agrees, 1 otherwise (printing the differences), 2
when a records file is missing, torn, or not the one the run recorded.
Definitions are DESIGN.md's: phases by send time; error rate over all requests;
served-by shares over successful requests; recovery time from t_f to the first
request after the last sliding window (anchored at each request, cut at the
end of the run: the recovery phase counts too) whose success ratio is below the
threshold. Requests the driver did not send on time (driver-overload) are
counted apart and left out of every other figure.
"""
import hashlib
import json
import sys
from pathlib import Path


def fail(message):
    """Bad or changed input: one line naming file and line, exit 2 (no traceback)."""
    print(f"recompute: {message}", file=sys.stderr)
    sys.exit(2)


def load(report_dir):
    report_file = report_dir / "report.json"
    if not report_file.is_file():
        fail(f"{report_file}: missing or not a file; name a run folder")
    try:
        report = json.loads(report_file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"{report_file}: not valid JSON ({error}): the file was cut or edited after the run")
    shape = [("records", dict), ("clients", list), ("faults", list), ("settings", dict)]
    if not isinstance(report, dict):
        fail(f"{report_file}: not a report (a JSON object is expected)")
    if report.get("status") == "crashed":
        fail(f"{report_file}: the run crashed (status crashed): nothing was measured, nothing to recompute")
    for key, kind in shape:
        if not isinstance(report.get(key), kind):
            fail(f"{report_file}: {key} is missing or not a{'n object' if kind is dict else ' list'}: the file was edited or is not a report")
    if not isinstance(report["records"].get("files"), list):
        fail(f"{report_file}: records.files is missing or not a list")
    digests = report["records"].get("digests") or {}
    records = []
    for name in report["records"]["files"]:
        path = report_dir / name
        if not path.exists():
            fail(f"{path}: missing; report.json lists it as one of the run's records")
        data = path.read_bytes()
        lines = 0
        for number, line in enumerate(data.decode("utf-8").split("\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                fail(f"{path}: line {number} is not a complete JSON record ({error.msg})")
            lines += 1
            if "client" in record:  # control-plane probe records have their own shape
                records.append(record)
        recorded = digests.get(name)
        if recorded:
            problem = digest_problem(data, lines, recorded)
            if problem:
                fail(f"{path}: {problem}")
    return report, records


LEAF_LINES = 8  # harness/traffic/ndjson-file.ts


def short_md5(data):
    return hashlib.md5(data).hexdigest()[:8]


def blocks_of(data, block_lines):
    """The file's block hashes as the harness records them: MD5 of every LEAF_LINES
    physical lines, merged pairwise (MD5 of the two hex digests) up to block_lines."""
    leaves, start, count = [], 0, 0
    block_start = 0
    while True:
        nl = data.find(b"\n", start)
        if nl < 0:
            break
        start = nl + 1
        count += 1
        if count == LEAF_LINES:
            leaves.append(short_md5(data[block_start:start]))
            block_start, count = start, 0
    if block_start < len(data):
        leaves.append(short_md5(data[block_start:]))
    size = LEAF_LINES
    while size < block_lines:
        leaves = [short_md5((leaves[i] + (leaves[i + 1] if i + 1 < len(leaves) else "")).encode()) for i in range(0, len(leaves), 2)]
        size *= 2
    return leaves


def digest_problem(data, lines, recorded):
    """What differs from what the run recorded of the file, located by block; None if nothing."""
    if lines == recorded["lines"] and hashlib.sha256(data).hexdigest() == recorded["sha256"]:
        return None
    counts = f"{lines} records, the run wrote {recorded['lines']}"
    if recorded.get("blocks") and recorded.get("blockLines"):
        size = recorded["blockLines"]
        theirs, mine = recorded["blocks"], blocks_of(data, size)
        first = 0
        while first < len(theirs) and first < len(mine) and theirs[first] == mine[first]:
            first += 1
        lo, hi = first * size + 1, (first + 1) * size
        if lines < recorded["lines"] and first >= len(mine) - 1 and first >= len(theirs) - 1:
            return f"{counts}: the file lost lines within lines {lo}-{hi}, its last block (its tail was cut, or a line there was removed)"
        what = "removed" if lines < recorded["lines"] else "added" if lines > recorded["lines"] else "edited"
        return f"{counts}: the file first differs from what the run wrote within lines {lo}-{hi} (lines {what}; lines 1-{lo - 1} are as written)"
    if lines != recorded["lines"]:
        return counts
    return "its SHA-256 differs from the one the run recorded: the file was edited after the run"


def recovery_time(fault_records, t_f, window, threshold):
    if all(r["error"] is None for r in fault_records):
        return 0
    last_bad = -1
    for i, r in enumerate(fault_records):
        inside = [q for q in fault_records[i:] if q["sentAt"] < r["sentAt"] + window]
        ok = sum(1 for q in inside if q["error"] is None)
        if ok / len(inside) < threshold:
            last_bad = i
    if last_bad == -1:
        return 0
    if last_bad + 1 >= len(fault_records):
        return None
    return max(0, fault_records[last_bad + 1]["sentAt"] - t_f)


def main():
    report_dir = Path(sys.argv[1])
    report, records = load(report_dir)
    settings = report["settings"]
    # t_f: when the last inject action of the timeline's first instant completed.
    def planned(f):
        return f.get("plannedAtMs", f["injectStartedAtMs"])
    first = min(planned(f) for f in report["faults"])
    t_f = max(f["injectedAtMs"] for f in report["faults"] if planned(f) == first)
    problems = []

    def check(what, ours, theirs):
        if ours is None or theirs is None:
            same = ours is None and theirs is None
        else:
            same = abs(ours - theirs) < 1e-6
        if not same:
            problems.append(f"{what}: recomputed {ours}, report says {theirs}")

    for client in report["clients"]:
        mine = sorted((r for r in records if r["client"] == client["name"]), key=lambda r: r["sentAt"])
        for phase in ("baseline", "fault", "recovery"):
            reported = client["phases"][phase]
            # Requests the driver could not send on time are counted apart, in no other figure.
            every = [r for r in mine if reported["start"] <= r["sentAt"] < reported["end"]]
            inside = [r for r in every if r["error"] != "driver-overload"]
            check(f"{client['name']}.{phase}.notSent", len(every) - len(inside), reported.get("notSent", 0))
            ok = [r for r in inside if r["error"] is None]
            failed = len(inside) - len(ok)
            check(f"{client['name']}.{phase}.requests", len(inside), reported["requests"])
            check(f"{client['name']}.{phase}.failed", failed, reported["failed"])
            check(f"{client['name']}.{phase}.errorRate", failed / len(inside) if inside else 0, reported["errorRate"])
            zones = {}
            for r in ok:
                key = f"{r['region']}/{r['zone']}"
                zones[key] = zones.get(key, 0) + 1
            for zone in set(zones) | set(reported["servedBy"]["zone"]):
                share = zones.get(zone, 0) / len(ok) if ok else 0
                check(f"{client['name']}.{phase}.servedBy.zone({zone})", share, reported["servedBy"]["zone"].get(zone, 0))
            same_zone = sum(1 for r in ok if r["region"] == client["locality"]["region"] and r["zone"] == client["locality"]["zone"])
            check(f"{client['name']}.{phase}.locality.sameZone", same_zone / len(ok) if ok else 0, reported["locality"]["sameZone"])
        # Recovery counts the requests after the revert too, up to the end of the run.
        fault = client["phases"]["fault"]
        end = client["phases"]["recovery"]["end"]
        fault_records = [r for r in mine if fault["start"] <= r["sentAt"] < end and r["error"] != "driver-overload"]
        if "recoveryTimeMs" in client:  # absent when no fault was injected: nothing to recompute
            ours = recovery_time(fault_records, t_f, settings["recoveryWindowMs"], settings["recoveryThreshold"])
            check(f"{client['name']}.recoveryTimeMs", ours, client["recoveryTimeMs"])

    for p in problems:
        print(p)
    checked = len(report["clients"])
    print(f"recompute: {checked} clients, {len(records)} records, {len(problems)} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: python3 scripts/recompute.py REPORT_DIR")
    try:
        main()
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        # A report.json with the right outline but a field missing or of the wrong type: edited, or not a report.
        fail(f"{Path(sys.argv[1]) / 'report.json'}: a field is missing or of the wrong type ({type(error).__name__}: {error}): the file was edited or is not a report")
