"""Part 3 of bench/training_overhead.py: epochs and time to 99 % test accuracy on MNIST (bare trainer)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _common import say, table
from _training import TrainerRun, bare_job, loadavg, n, run_trainer, ts

FALLBACK_PARAMS: dict[str, Any] = {"lr_schedule": "cosine", "learning_rate": 0.002}
"""Tried when the catalog defaults do not reach the target within --max-epochs."""


def long_run(
    args: argparse.Namespace, home: Path, workdir: Path, params: dict[str, Any], one_epoch: list[TrainerRun]
) -> tuple[TrainerRun, list[dict[str, Any]]] | None:
    """One run of ``--max-epochs`` epochs with ``params``: its per-epoch table; the epoch events at or above
    the target (None when the run failed)."""
    target = args.target
    say(
        f"\n== Epochs to {target:.0%} on MNIST (bare trainer, batch 64, seed 42, {args.threads} threads, "
        f"params {json.dumps(params) if params else 'catalog defaults'})"
    )
    say(f"   run of {args.max_epochs} epochs... (loadavg {loadavg():.2f})")
    name = f"max-{args.max_epochs}-{len(list(workdir.glob('max-*.json')))}"
    job = bare_job(home, workdir / f"artifacts-{name}", name, args.max_epochs, args.threads, params)
    full = run_trainer(job, workdir)
    if not full.ok:
        say(f"   FAILED: {full.failure()}")
        return None
    rows = []
    for event in full.epochs:
        m = event["metrics"]
        rows.append([
            event["epoch"], n(event["seconds"], 1), n(ts(event["time"]) - full.spawned, 1), n(m["loss"], 4),
            n(m["accuracy"], 4), n(m["val_loss"], 4), n(m["val_accuracy"], 4),
            "yes" if m["val_accuracy"] >= target else "",
        ])  # fmt: skip
    say(
        table(
            f"{args.max_epochs} epochs in one run: per-epoch metrics (validation = 10,000 held-out images)",
            ["epoch", "seconds", "since spawn s", "loss", "accuracy", "val_loss", "val_accuracy",
             f">= {target}"],
            rows,
        )
    )  # fmt: skip
    final = full.metrics
    say(
        f"   after {args.max_epochs} epochs: test_accuracy {final['test_accuracy']:.4f} (test_loss "
        f"{final['test_loss']:.4f}); spawn -> exit {full.total:.1f} s, trainer own {full.own:.1f} s; other "
        f"processes used {full.others:.0f} CPU s meanwhile (loadavg {loadavg():.2f})"
    )
    if one_epoch and one_epoch[0].ok and full.epochs and not params:
        first = full.epochs[0]["metrics"]["val_accuracy"]
        same = first == one_epoch[0].epochs[0]["metrics"]["val_accuracy"]
        say(
            f"   epoch 1 val_accuracy {first:.4f} "
            + ("= that of the 1-epoch runs above: training is deterministic, a k-epoch run repeats "
               "the first k" if same else "differs from the 1-epoch runs above (not deterministic?)")
        )  # fmt: skip
    return full, [e for e in full.epochs if e["metrics"]["val_accuracy"] >= target]


def epochs_to_target(
    args: argparse.Namespace, home: Path, workdir: Path, one_epoch: list[TrainerRun]
) -> None:
    target = args.target
    candidates: list[dict[str, Any]] = [json.loads(args.params)] if args.params else [{}, FALLBACK_PARAMS]
    for params in candidates:
        found = long_run(args, home, workdir, params, one_epoch)
        if found is None:
            return  # the run failed
        full, reached = found
        if reached:
            break
        if params is not candidates[-1]:
            say(
                f"   val_accuracy did not reach {target} in {args.max_epochs} epochs with these params: "
                "trying a learning-rate schedule the catalog allows"
            )
    else:
        say(
            f"   val_accuracy never reached {target} in {args.max_epochs} epochs: try --params or "
            "more --max-epochs"
        )
        return
    k = int(reached[0]["epoch"])
    say(
        f"   val_accuracy first >= {target} after epoch {k}, {ts(reached[0]['time']) - full.spawned:.0f} s "
        "after spawn in this run"
    )
    runs: dict[int, TrainerRun] = {args.max_epochs: full}
    if one_epoch and all(r.ok for r in one_epoch) and not params:
        runs[1] = one_epoch[0]
    tried: list[tuple[int, TrainerRun]] = []
    while k <= args.max_epochs:
        if k not in runs:
            say(f"   run of {k} epoch(s)... (loadavg {loadavg():.2f})")
            job = bare_job(home, workdir / f"artifacts-{k}", f"epochs-{k}", k, args.threads, params)
            runs[k] = run_trainer(job, workdir)
        if not runs[k].ok:
            say(f"   {k} epochs FAILED: {runs[k].failure()}")
            return
        tried.append((k, runs[k]))
        if runs[k].metrics["test_accuracy"] >= target:
            break
        k += 1
    rows = [
        [
            epochs, n(r.metrics["val_accuracy"], 4), n(r.metrics["test_accuracy"], 4),
            n(r.metrics["test_loss"], 4), n(r.own, 1), n(r.total, 1), n(r.others, 0),
            "the run above" if r is full else ("part 1" if epochs == 1 else "own run"),
        ]
        for epochs, r in tried
    ]  # fmt: skip
    say(
        table(
            f"Fewest epochs whose val_accuracy reached {target}, trained on their own",
            ["epochs", "val_accuracy", "test_accuracy", "test_loss", "trainer own s", "spawn -> exit s",
             "others' CPU s", "run"],
            rows,
        )
    )  # fmt: skip
    epochs, last = tried[-1]
    accuracy = last.metrics["test_accuracy"]
    if accuracy >= target:
        say(
            f"   => {epochs} epoch(s) to {target:.0%} test accuracy ({accuracy:.4f}): {last.total:.0f} s "
            f"from spawn to exit (trainer own {last.own:.0f} s); from the web page, add the overhead above"
        )
    else:
        say(f"   => test_accuracy stayed below {target} up to {epochs} epoch(s)")
