#!/usr/bin/python3
"""The test bed's verdict: real validators against the simulator.

Usage: compare.py WORKDIR T0 STEP REFRESH HOLD OLDTAG NEWTAG ZONE:PLAN ...

Reads WORKDIR/record.txt (scripts/testbed/record.py) and, for each zone,
WORKDIR/<zone>sim.csv: the time series of keyroll-trustanchor simulate run on
the zone's SKR with a population of Unbound validators with the test bed's
timers, installed when the real ones started, sampled every STEP seconds.
Probe jitter makes the simulated validators change state at slightly
different times, so a prediction is a window: from one step before the first
sample in which any simulated validator has changed to the first sample in
which all have.

For every validator and zone it compares the time of each RFC 5011 state
change the real Unbound wrote into its state file with the simulator's:

  new key AddPend   real: lastchange of state 1    sim: class "pending"
  new key Valid     real: lastchange of state 2    sim: class "trusts_new"
  old key Revoked   real: lastchange of state 4    sim: the old tag leaves the
                                                   trusted set (RFC 8145 signal)
  zone insecure     real: ";;REVOKED" trust point  sim: class "insecure"
  validation fails  real: SERVFAIL answers         sim: class "failing"

A change matches when it lies within one refresh interval (REFRESH seconds)
of the predicted window.  The plan of a zone says what must happen: "safe" (no
failure, no insecurity, the new key trusted, the old one revoked) or
"unsafe" (the validators must lose validation exactly as predicted).  The
removal of the revoked key (Unbound deletes it from the file) is not in the
simulator's output; it is checked against the remove hold-down instead and
reported as such.  Prints a table; exits 0 only if everything matches.
"""
import csv
import os
import sys


CLASSES = ["trusts_old", "trusts_new", "pending", "failing", "insecure", "offline"]


def load_sim(path):
    """[(t, installed, {class: n}, {frozenset(trusted tags): n})] from a CSV."""
    rows = []
    with open(path, newline="", encoding="ascii") as f:
        rd = csv.DictReader(f)
        sig_cols = [c for c in rd.fieldnames if c.startswith("signal_ta")]
        for r in rd:
            sets = {frozenset(int(x, 16) for x in c.split("-")[1:]): int(r[c]) for c in sig_cols}
            rows.append((iso_to_unix(r["time"]), int(r["installed"]),
                         {c: int(r[c]) for c in CLASSES}, sets))
    return rows


def window(rows, count, step):
    """(earliest, latest) instant of a change: one step before the first sample
    where any validator shows it, and the first sample where all do; None if
    no simulated validator ever does."""
    any_t = next((t for t, n, cls, sets in rows if n and count(cls, sets) > 0), None)
    all_t = next((t for t, n, cls, sets in rows if n and count(cls, sets) >= n), None)
    if any_t is None:
        return None
    return (any_t - step + 1, all_t if all_t is not None else rows[-1][0])


def iso_to_unix(s):
    import calendar
    import time
    return calendar.timegm(time.strptime(s.replace("+00:00", "Z"), "%Y-%m-%dT%H:%M:%SZ"))


def load_record(path):
    ev = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            p = line.split()
            t, v, zone, kind = float(p[0]), p[1], p[2], p[3]
            d = ev.setdefault((v, zone), {"keys": {}, "gone": {}, "queries": [], "revoked_at": None})
            if kind == "key" and p[5] == "gone":
                d["gone"].setdefault(int(p[4]), t)
            elif kind == "key":
                tag, state, last = int(p[4]), int(p[5]), int(p[7])
                d["keys"].setdefault(tag, {}).setdefault(state, last)
            elif kind == "anchor" and p[4] == "revoked":
                d["revoked_at"] = t
            elif kind == "query":
                d["queries"].append((t, p[4]))
    return ev


def main():
    workdir, t0, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    refresh, hold = int(sys.argv[4]), int(sys.argv[5])
    old, new = int(sys.argv[6]), int(sys.argv[7])
    plans = dict(a.split(":", 1) for a in sys.argv[8:])
    ev = load_record(os.path.join(workdir, "record.txt"))
    bad = good = 0
    rows = []
    fmt = lambda x: "never" if x is None else f"T0+{x - t0:.0f}s"

    def report(ok, text):
        nonlocal bad, good
        bad, good = bad + (not ok), good + ok
        rows.append(f"{'ok  ' if ok else 'FAIL'} {text}")

    def check(v, zone, what, real, win, tol=refresh):
        if real is None and win is None:
            return
        if real is None or win is None:
            ok, off = False, ""
        else:
            off = 0 if win[0] <= real <= win[1] else (real - win[1] if real > win[1] else real - win[0])
            ok = abs(off) <= tol
            off = f"{off:+.0f}s"
        pred = "never" if win is None else f"{fmt(win[0])}..{fmt(win[1])}"
        report(ok, f"{v:4} {zone:17} {what:18} real {fmt(real):>9}  simulator {pred:>22}  {off}")

    counts = {
        "new key AddPend": lambda c, s: c["pending"] + c["trusts_new"],
        "new key Valid": lambda c, s: c["trusts_new"],
        "old key Revoked": lambda c, s: sum(n for tags, n in s.items() if tags and old not in tags),
        "zone insecure": lambda c, s: c["insecure"],
        "validation fails": lambda c, s: c["failing"],
    }
    for zone, plan in plans.items():
        path = os.path.join(workdir, f"{zone}sim.csv")
        if not os.path.exists(path):
            report(False, f"no simulator output for {zone}")
            continue
        sim = load_sim(path)
        win = {what: window(sim, f, step) for what, f in counts.items()}
        for (v, z), d in sorted(ev.items()):
            if z != zone:
                continue
            nk, ok_ = d["keys"].get(new, {}), d["keys"].get(old, {})
            insecure = d["revoked_at"] is not None
            real = {
                "new key AddPend": nk.get(1),
                "new key Valid": nk.get(2),
                "old key Revoked": None if insecure else ok_.get(4),
                "zone insecure": ok_.get(4) if insecure else None,
                "validation fails": next((t for t, r in d["queries"] if r == "servfail"), None),
            }
            for what in counts:
                if what == "new key AddPend" and win[what] is None and real[what] is not None \
                        and (win["validation fails"] or win["zone insecure"]):
                    # the class "failing"/"insecure" outranks "pending" in the samples
                    rows.append(f"--   {v:4} {zone:17} {what:18} real {fmt(real[what]):>9}  "
                                "simulator: hidden behind failing/insecure (not compared)")
                    continue
                check(v, zone, what, real[what], win[what])
            # not in the simulator's output: removal after the remove hold-down
            rev, gone = ok_.get(4), d["gone"].get(old)
            if rev is not None and not insecure:
                check(v, zone, "old key Removed*", gone, (rev + hold, rev + hold))
            answers = {r for t, r in d["queries"]}
            if plan == "safe":
                ok = answers == {"secure"} and bool(real["new key Valid"] and real["old key Revoked"])
                report(ok, f"{v:4} {zone:17} safe plan: answers {'/'.join(sorted(answers))}, "
                       "new key trusted, old key revoked")
            else:
                last = d["queries"][-1][1] if d["queries"] else "none"
                want = "insecure" if win["zone insecure"] else "servfail"
                report(last == want, f"{v:4} {zone:17} unsafe plan: the simulator ends {want}, "
                       f"the validator ended {last}")
    print("\n".join(rows))
    print("(* not in the simulator's output: revocation + del-holddown, to one refresh)")
    print(f"{good} agree, {bad} disagree (tolerance: one refresh interval, {refresh}s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
