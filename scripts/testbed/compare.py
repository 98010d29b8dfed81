#!/usr/bin/python3
"""The test bed's verdict: real validators against the simulator.

Usage: compare.py WORKDIR T0 REFRESH HOLD OLDTAG NEWTAG ZONE:PLAN ...

Reads WORKDIR/record.txt (scripts/testbed/record.py) and, for each zone,
the CSV time series of keyroll-trustanchor simulate run once per second of
phase (WORKDIR/<zone>sim-<j>.csv, j = 0..step-1, each with --from T0 - j and
--step of one minute): together they give the simulated validator's class and
trusted key set at every second.

For every validator and zone it compares the time of each RFC 5011 state
change the real Unbound wrote into its state file with the simulator's:

  new key AddPend   real: lastchange of state 1    sim: class "pending"
  new key Valid     real: lastchange of state 2    sim: class "trusts_new"
  old key Revoked   real: lastchange of state 4    sim: the old tag leaves the
                                                   trusted set (RFC 8145 signal)
  zone insecure     real: ";;REVOKED" trust point  sim: class "insecure"
  validation fails  real: SERVFAIL answers         sim: class "failing"

A change matches when it lies within one refresh interval (REFRESH seconds)
of the prediction.  The plan of a zone says what must happen: "safe" (no
failure, no insecurity, the new key trusted, the old one revoked) or
"unsafe" (the validators must lose validation exactly as predicted).  The
removal of the revoked key (Unbound deletes it from the file) is not in the
simulator's output; it is checked against the remove hold-down instead and
reported as such.  Prints a table; exits 0 only if everything matches.
"""
import csv
import glob
import os
import sys


def load_sim(workdir, zone):
    """{t: (class, frozenset(trusted tags))} from the phase-shifted runs, and
    the per-run sample lists for the consistency check."""
    states, runs = {}, []
    for path in sorted(glob.glob(os.path.join(workdir, f"{zone}sim-*.csv"))):
        rows = []
        with open(path, newline="", encoding="ascii") as f:
            rd = csv.DictReader(f)
            classes = ["trusts_old", "trusts_new", "pending", "failing", "insecure", "offline"]
            sig_cols = [c for c in rd.fieldnames if c.startswith("signal_ta")]
            for r in rd:
                t = iso_to_unix(r["time"])
                cls = next((c for c in classes if int(r[c]) > 0), "none")
                sig = next((c for c in sig_cols if int(r[c]) > 0), None)
                tags = frozenset(int(x, 16) for x in sig.split("-")[1:]) if sig else frozenset()
                states[t] = (cls, tags)
                rows.append((t, cls, tags))
        runs.append(rows)
    return states, runs


def iso_to_unix(s):
    import calendar
    import time
    return calendar.timegm(time.strptime(s.replace("+00:00", "Z"), "%Y-%m-%dT%H:%M:%SZ"))


def first(states, pred):
    for t in sorted(states):
        if pred(states[t]):
            return t
    return None


def consistent(runs, pred, step):
    """Every run must see the change at its first sample at or after one
    common instant: the intersection of (s - step, s] over runs is not empty."""
    lo, hi = -10**12, 10**12
    for rows in runs:
        s = next((t for t, c, tags in rows if pred((c, tags))), None)
        if s is None:
            continue
        lo, hi = max(lo, s - step + 1), min(hi, s)
    return lo <= hi


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
    workdir, t0, refresh, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    old, new = int(sys.argv[5]), int(sys.argv[6])
    plans = dict(a.split(":", 1) for a in sys.argv[7:])
    ev = load_record(os.path.join(workdir, "record.txt"))
    bad = 0
    rows = []

    def check(v, zone, what, real, pred, tol=refresh):
        nonlocal bad
        if real is None and pred is None:
            return
        ok = real is not None and pred is not None and abs(real - pred) <= tol
        bad += not ok
        fmt = lambda x: "never" if x is None else f"T0+{x - t0:.0f}s"
        diff = "" if real is None or pred is None else f"{real - pred:+.0f}s"
        rows.append(f"{'ok  ' if ok else 'FAIL'} {v:4} {zone:17} {what:18} real {fmt(real):>9}"
                    f"  simulator {fmt(pred):>9}  {diff}")

    for zone, plan in plans.items():
        states, runs = load_sim(workdir, zone)
        if not states:
            print(f"FAIL no simulator output for {zone}")
            return 1
        preds = {
            "new key AddPend": lambda s: s[0] in ("pending", "trusts_new"),
            "new key Valid": lambda s: s[0] == "trusts_new",
            "old key Revoked": lambda s: s[0] == "trusts_new" and old not in s[1],
            "zone insecure": lambda s: s[0] == "insecure",
            "validation fails": lambda s: s[0] == "failing",
        }
        pred_t = {}
        for what, f in preds.items():
            pred_t[what] = first(states, f)
            if not consistent(runs, f, 60):
                rows.append(f"FAIL      {zone:17} {what:18} simulator runs disagree on the time")
                bad += 1
        for (v, z), d in sorted(ev.items()):
            if z != zone:
                continue
            nk, ok_ = d["keys"].get(new, {}), d["keys"].get(old, {})
            real = {
                "new key AddPend": nk.get(1),
                "new key Valid": nk.get(2),
                "old key Revoked": ok_.get(4) if d["revoked_at"] is None else None,
                "zone insecure": ok_.get(4) if d["revoked_at"] is not None else None,
                "validation fails": next((t for t, r in d["queries"] if r == "servfail"), None),
            }
            for what in preds:
                # the Revoked of an unsafe plan is the moment the zone goes insecure
                p = pred_t[what]
                if what == "old key Revoked" and d["revoked_at"] is not None:
                    continue
                check(v, zone, what, real[what], p)
            # not in the simulator's output: removal after the remove hold-down
            rev, gone = ok_.get(4), d["gone"].get(old)
            if rev is not None and d["revoked_at"] is None:
                check(v, zone, "old key Removed*", gone, rev + hold, tol=refresh + 1)
            # what the answers showed
            answers = {r for t, r in d["queries"]}
            if plan == "safe":
                good = answers == {"secure"} and real["new key Valid"] and real["old key Revoked"]
                rows.append(f"{'ok  ' if good else 'FAIL'} {v:4} {zone:17} safe plan: answers "
                            f"{'/'.join(sorted(answers))}, new key trusted, old key revoked")
                bad += not good
            else:
                last = d["queries"][-1][1] if d["queries"] else "none"
                want = "insecure" if pred_t["zone insecure"] else "servfail"
                good = last == want and (real["zone insecure"] or real["validation fails"])
                rows.append(f"{'ok  ' if good else 'FAIL'} {v:4} {zone:17} unsafe plan: "
                            f"predicted {want}, the validator ended {last}")
                bad += not good
    print("\n".join(rows))
    print("(* not in the simulator's output: revocation time + del-holddown, to one refresh)")
    print(f"{len(rows) - bad} agree, {bad} disagree (tolerance: one refresh interval, "
          f"{refresh}s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
