#!/usr/bin/python3
"""Summarizes a JMH JSON result of DkimSignBenchmark: mean and best iteration per case, and the
ratio of our whole signing step to the raw Signature.sign of the same provider.

On a shared 2-core machine other processes steal time, so the best iteration (least disturbed)
is reported beside the mean; the ratio uses the best of each."""
import json
import sys

rows = json.load(open(sys.argv[1]))
best = {}
print(f"{'benchmark':8} {'alg':15} {'provider':8} {'size':>6} {'mean/s':>10} {'best/s':>10} {'best us':>8}")
for r in rows:
    name = r["benchmark"].rsplit(".", 1)[1]
    p = r["params"]
    size = p.get("size", "32")
    scores = [s for it in r["primaryMetric"]["rawData"] for s in it]
    b = max(scores)
    best[(name, p["alg"], p["provider"], size)] = b
    print(f"{name:8} {p['alg']:15} {p['provider']:8} {size:>6} {r['primaryMetric']['score']:10.0f} {b:10.0f} {1e6 / b:8.1f}")
print()
for (name, alg, prov, size), b in sorted(best.items()):
    if name != "sign":
        continue
    raw = best.get(("rawSign", alg, prov, "32"))
    if raw:
        print(f"{alg} {prov} {size:>6} B: sign takes {raw / b:.3f}x the raw Signature.sign")
