"""Seeding an MLflow server's registry with many models and versions, validly and fast.

A probe model created through REST shows the exact rows MLflow writes; copies of them (names,
versions, timestamps and sources changed) go in by SQL in one transaction. REST is used instead
when its estimated time is within the budget.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import httpx
from _mlflow import (
    API,
    SEED_PREFIX,
    STAGE_WEIGHTS,
    STAGES,
    TEAMS,
    MlflowServer,
    _acheck,
    _check,
    _run_workers,
    _source_run,
)


def _rows(conn: Any, sql: str, params: tuple = ()) -> list[dict]:
    cur = conn.cursor()
    cur.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _templates(server: MlflowServer, probe: str) -> dict[str, dict]:
    """One row per registry table, exactly as MLflow's REST calls wrote them for the probe model."""
    ph = "?" if server.backend == "sqlite" else "%s"
    conn = server.connect_db()
    try:
        out = {}
        for table_name in (
            "registered_models",
            "registered_model_tags",
            "model_versions",
            "model_version_tags",
            "registered_model_aliases",
        ):
            rows = _rows(conn, f"SELECT * FROM {table_name} WHERE name = {ph}", (probe,))
            if not rows:
                raise RuntimeError(f"probe wrote no row in {table_name}")
            out[table_name] = rows[0]
        conn.rollback()
    finally:
        conn.close()
    return out


def _plan(models: int, versions: int, run_id: str, artifact_uri: str, templates: dict[str, dict]) -> dict:
    """All rows to insert, each a copy of the template row with its own keys, times and tags."""
    rng = random.Random(42)
    now = int(time.time() * 1000)
    step = 5  # ms between consecutive versions: creation order == timestamp order
    t = now - (versions + models) * step
    plan: dict[str, list[dict]] = {k: [] for k in templates}
    counts = {"stage": dict.fromkeys(STAGES, 0), "team": dict.fromkeys(TEAMS, 0)}
    per_model, extra = divmod(versions, models)
    for m in range(models):
        name = f"{SEED_PREFIX}{m:04d}"
        team = TEAMS[m % len(TEAMS)]
        counts["team"][team] += 1
        created = t
        t += step
        n_versions = per_model + (1 if m < extra else 0)
        for v in range(1, n_versions + 1):
            source = f"{artifact_uri}/{name}/v{v}"
            mv = dict(templates["model_versions"])
            mv.update(
                name=name,
                version=v,
                creation_time=t,
                last_updated_time=t,
                source=source,
                storage_location=source,
                run_id=run_id,
            )
            plan["model_versions"].append(mv)
            stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
            counts["stage"][stage] += 1
            for key, value in (("stage", stage), ("accuracy", f"{rng.uniform(0.55, 0.99):.4f}")):
                tag = dict(templates["model_version_tags"])
                tag.update(name=name, version=v, key=key, value=value)
                plan["model_version_tags"].append(tag)
            t += step
        rm = dict(templates["registered_models"])
        last = t - step if n_versions else created
        rm.update(name=name, creation_time=created, last_updated_time=last)
        plan["registered_models"].append(rm)
        rmt = dict(templates["registered_model_tags"])
        rmt.update(name=name, key="team", value=team)
        plan["registered_model_tags"].append(rmt)
        if n_versions:
            alias = dict(templates["registered_model_aliases"])
            alias.update(name=name, alias="champion", version=n_versions)
            plan["registered_model_aliases"].append(alias)
    return {"rows": plan, "counts": counts}


INSERT_ORDER = (
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "registered_model_aliases",
)


def _insert(server: MlflowServer, rows: dict[str, list[dict]]) -> float:
    """Insert all rows in one transaction (executemany on SQLite, COPY on PostgreSQL); seconds taken."""
    started = time.perf_counter()
    conn = server.connect_db()
    try:
        if server.backend == "sqlite":
            with conn:  # one transaction, committed on exit
                for table_name in INSERT_ORDER:
                    cols = list(rows[table_name][0])
                    sql = (
                        f"INSERT INTO {table_name} ({', '.join(_q(c) for c in cols)}) "
                        f"VALUES ({', '.join('?' for _ in cols)})"
                    )
                    conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows[table_name]])
        else:
            with conn.transaction(), conn.cursor() as cur:
                for table_name in INSERT_ORDER:
                    cols = list(rows[table_name][0])
                    with cur.copy(f"COPY {table_name} ({', '.join(_q(c) for c in cols)}) FROM STDIN") as copy:
                        for r in rows[table_name]:
                            copy.write_row(tuple(r[c] for c in cols))
            # What autovacuum would do shortly after a bulk load; MLflow itself never runs it.
            conn.autocommit = True
            for table_name in INSERT_ORDER:
                conn.execute(f"ANALYZE {table_name}")
    finally:
        conn.close()
    return time.perf_counter() - started


def _q(column: str) -> str:
    return f'"{column}"'


def _count_pages(
    client: httpx.Client, url: str, what: str, filter: str, max_results: int
) -> tuple[int, int, float]:
    """(items, pages, seconds) of a full paged REST search."""
    key = "model_versions" if what == "model-versions" else "registered_models"
    params = {"filter": filter, "max_results": str(max_results)}
    items = pages = 0
    started = time.perf_counter()
    while True:
        page = _check(client.get(f"{url}{API}/{what}/search", params=params))
        items += len(page.get(key, []))
        pages += 1
        token = page.get("next_page_token")
        if not token:
            return items, pages, time.perf_counter() - started
        params["page_token"] = token


def _probe_rest(client: httpx.Client, url: str, probe: str, run_id: str, artifact_uri: str, n: int) -> float:
    """Versions/s of REST model-version creates (2 tags each), 4 clients: the estimate for seeding."""

    async def go() -> float:
        async def op(aclient: httpx.AsyncClient, i: int) -> None:
            body = {
                "name": probe,
                "source": f"{artifact_uri}/{probe}/v{i}",
                "run_id": run_id,
                "tags": [{"key": "stage", "value": "None"}, {"key": "accuracy", "value": "0.9000"}],
            }
            await _acheck(await aclient.post(f"{url}{API}/model-versions/create", json=body))

        latencies, _, _, wall = await _run_workers(n, 4, op)
        return len(latencies) / wall

    return asyncio.run(go())


async def _seed_rest(url: str, rows: dict[str, list[dict]], concurrency: int = 8) -> float:
    """The same plan through the API: models with their tag, then each model's versions in order
    (a model belongs to one worker, so version numbers come out as planned), then the aliases."""
    started = time.perf_counter()
    team = {r["name"]: r["value"] for r in rows["registered_model_tags"]}
    tags: dict[tuple[str, int], list[dict]] = {}
    for t in rows["model_version_tags"]:
        tags.setdefault((t["name"], t["version"]), []).append({"key": t["key"], "value": t["value"]})
    by_model: dict[str, list[dict]] = {}
    for mv in rows["model_versions"]:
        by_model.setdefault(mv["name"], []).append(mv)
    alias = {a["name"]: a["version"] for a in rows["registered_model_aliases"]}
    names = [r["name"] for r in rows["registered_models"]]

    async def op(client: httpx.AsyncClient, i: int) -> None:
        for name in names[i::concurrency]:
            body = {"name": name, "tags": [{"key": "team", "value": team[name]}]}
            await _acheck(await client.post(f"{url}{API}/registered-models/create", json=body))
            for mv in by_model.get(name, []):
                body = {
                    "name": name,
                    "source": mv["source"],
                    "run_id": mv["run_id"],
                    "tags": tags.get((name, mv["version"]), []),
                }
                await _acheck(await client.post(f"{url}{API}/model-versions/create", json=body))
            if name in alias:
                body = {"name": name, "alias": "champion", "version": str(alias[name])}
                await _acheck(await client.post(f"{url}{API}/registered-models/alias", json=body))

    _, errors, samples, _ = await _run_workers(concurrency, concurrency, op)
    if errors:
        raise RuntimeError(f"REST seeding failed: {samples}")
    return time.perf_counter() - started


def mlflow_seed(
    server: MlflowServer, models: int = 1000, versions: int = 100_000, *, rest_budget_s: float = 300.0
) -> dict:
    """Put ``models`` registered models holding ``versions`` versions in all into the server's store.

    Version tags: ``stage`` (None/Staging/Production/Archived, 40/15/5/40 %) and ``accuracy`` (0.55-0.99);
    model tag ``team`` (5 values, round robin); alias ``champion`` on each model's latest version.
    """
    url = server.url
    result: dict[str, Any] = {"models": models, "versions": versions}
    probe = f"seed-probe-{uuid.uuid4().hex[:6]}"
    with httpx.Client(timeout=600.0) as client:
        run_id, artifact_uri = _source_run(client, url)
        # The probe: one model through REST, with a tag, versions with tags, an alias.
        _check(
            client.post(
                f"{url}{API}/registered-models/create",
                json={"name": probe, "tags": [{"key": "team", "value": "probe"}]},
            )
        )
        probe_n = 60
        rate = _probe_rest(client, url, probe, run_id, artifact_uri, probe_n)
        _check(
            client.post(
                f"{url}{API}/registered-models/alias",
                json={"name": probe, "alias": "champion", "version": "1"},
            )
        )
        estimate = (versions + models) / rate
        result.update(rest_versions_per_s=rate, rest_estimate_s=estimate)
        templates = _templates(server, probe)
        result["template_model_version"] = {
            k: v for k, v in templates["model_versions"].items() if k not in ("source", "storage_location")
        }
        _check(client.request("DELETE", f"{url}{API}/registered-models/delete", json={"name": probe}))
        plan = _plan(models, versions, run_id, artifact_uri, templates)
        result["rows"] = {k: len(v) for k, v in plan["rows"].items()}
        result["expected"] = plan["counts"]
        if estimate <= rest_budget_s:
            result["method"] = "rest"
            result["insert_s"] = asyncio.run(_seed_rest(url, plan["rows"]))
        else:
            result["method"] = "sql"
            result["insert_s"] = _insert(server, plan["rows"])

        # Verify through REST.
        like = f"name LIKE '{SEED_PREFIX}%'"
        rm, rm_pages, rm_s = _count_pages(client, url, "registered-models", like, 1000)
        mv, mv_pages, mv_s = _count_pages(client, url, "model-versions", like, 10_000)
        vision, _, _ = _count_pages(client, url, "registered-models", "tags.team='vision'", 1000)
        production, _, _ = _count_pages(client, url, "model-versions", "tags.stage='Production'", 10_000)
        probe_name = f"{SEED_PREFIX}{min(42, models - 1):04d}"
        one = _check(client.get(f"{url}{API}/registered-models/get", params={"name": probe_name}))
        latest = _check(
            client.get(
                f"{url}{API}/registered-models/alias",
                params={"name": probe_name, "alias": "champion"},
            )
        )
        result["verify"] = {
            "registered_models": (rm, rm_pages, rm_s),
            "model_versions": (mv, mv_pages, mv_s),
            "team=vision": (vision, plan["counts"]["team"]["vision"]),
            "stage=Production": (production, plan["counts"]["stage"]["Production"]),
            f"{probe_name} aliases": one["registered_model"].get("aliases"),
            f"{probe_name} champion": (
                latest["model_version"]["version"],
                latest["model_version"].get("tags"),
            ),
        }
    return result
