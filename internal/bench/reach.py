"""Reachability baseline for freezetrace's benchmark (internal/bench).

Reads token_transfers.csv with the csv module, keeps the traced asset's
transfers, builds a networkx MultiDiGraph (one edge per transfer, attribute
block) and finds the addresses reachable from the victim payments'
recipients: an address reached at block b at hop h is expanded along its
out-edges with block >= b to hop h + 1, up to --max-hops, never from an
address in labels.csv or among the case's hot wallets. The count equals the
recursive CTE's count(DISTINCT addr) on the same data.

Prints "addresses N", "edges N", "load_seconds S" (reading and building
the graph) and "search_seconds S".
"""

import argparse
import csv
import json
import time

import networkx as nx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--transfers", required=True, help="token_transfers.csv")
    p.add_argument("--case", required=True, help="case.json")
    p.add_argument("--labels", required=True, help="labels.csv")
    p.add_argument("--max-hops", type=int, default=8)
    args = p.parse_args()

    start = time.perf_counter()
    with open(args.case) as f:
        case = json.load(f)
    asset = case["asset"].lower()
    victims = {h.lower() for h in case["victim_txs"] or []}
    stop = {a.lower() for a in case["hot_wallets"] or []}
    with open(args.labels, newline="") as f:
        for row in csv.DictReader(f):
            stop.add(row["address"].lower())

    g = nx.MultiDiGraph()
    first = {}  # victim payment recipient -> earliest block paid
    with open(args.transfers, newline="") as f:
        rows = csv.reader(f)
        head = next(rows)
        tok, src, dst, txh, blk = (
            head.index(c)
            for c in ("token_address", "from_address", "to_address", "transaction_hash", "block_number")
        )
        for row in rows:
            if row[tok] != asset:
                continue
            b = int(row[blk])
            g.add_edge(row[src], row[dst], block=b)
            if row[txh] in victims:
                to = row[dst]
                if to not in first or b < first[to]:
                    first[to] = b
    loaded = time.perf_counter()

    # Earliest-arrival search, one hop at a time. frontier holds, for each
    # address reached at this hop, the earliest block it was reached at;
    # best holds the earliest block over all hops so far. A state at a later
    # hop and no earlier block than one already seen reaches nothing new,
    # so it is dropped.
    reached = set(first)
    best = dict(first)
    frontier = dict(first)
    hop = 1
    while frontier and hop < args.max_hops:
        nxt = {}
        for u, b in frontier.items():
            if u in stop:
                continue
            for v, edges in g.adj[u].items():
                for data in edges.values():
                    e = data["block"]
                    if e < b:
                        continue
                    if v in best and best[v] <= e:
                        continue
                    if v in nxt and nxt[v] <= e:
                        continue
                    nxt[v] = e
        for v, e in nxt.items():
            reached.add(v)
            if v not in best or e < best[v]:
                best[v] = e
        frontier = nxt
        hop += 1
    searched = time.perf_counter()

    print("addresses", len(reached))
    print("edges", g.number_of_edges())
    print("load_seconds %.3f" % (loaded - start))
    print("search_seconds %.3f" % (searched - loaded))


if __name__ == "__main__":
    main()
