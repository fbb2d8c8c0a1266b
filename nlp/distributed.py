"""Classifying on a dask cluster (the ``dask`` extra): ``claimlens classify ... --engine dask -o DIR``.

The input becomes a dask bag with one partition per JSONL file (shard) or per group of
``.txt`` files, in input order. Each partition is read and classified on a worker, which
loads the pipeline once and writes ``part-NNNNN.jsonl`` (atomically: a temporary name, then
a rename) plus ``part-NNNNN.json`` with its counts; ``manifest.json`` lists the parts when
all are done. Reading the parts in order gives the records of a single-machine run.

Workers must see the inputs and DIR at the same paths (a shared filesystem) and have
claimlens installed with the same model. Ids are checked for duplicates across the whole
input first (a cheap pass that reads ids only), so a later document with a used id is
flagged exactly as on one machine. ``--resume`` skips partitions whose part is complete and
whose inputs (paths, sizes, modification times) and model have not changed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.errors import UsageError
from nlp.inputs import Article, Source, duplicate_problem, read_source, sources

FILES_PER_PARTITION = 200
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Partition:
    index: int
    sources: tuple[Source, ...]

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}"


def partitions(inputs: list[str], files_per_partition: int = FILES_PER_PARTITION) -> list[Partition]:
    """One partition per JSONL file; consecutive ``.txt`` articles grouped ``files_per_partition`` at a time."""
    groups: list[list[Source]] = []
    txt: list[Source] = []
    for source in sources(inputs):
        if source.kind == "stdin":
            raise UsageError("--engine dask reads files and directories, not stdin")
        if source.kind == "txt":
            txt.append(source)
            if len(txt) == files_per_partition:
                groups.append(txt)
                txt = []
            continue
        if txt:
            groups.append(txt)
            txt = []
        groups.append([source])
    if txt:
        groups.append(txt)
    return [Partition(i, tuple(group)) for i, group in enumerate(groups)]


def _items(partition: Partition):
    for source in partition.sources:
        yield from read_source(source)


def partition_ids(partition: Partition) -> np.ndarray:
    """64-bit digests of the partition's document ids, in order (the cheap first pass)."""
    from nlp.digests import digest64

    return np.fromiter((digest64(item.doc_id) for item in _items(partition)), dtype=np.uint64)


def later_duplicates(ids: list[np.ndarray]) -> list[list[int]]:
    """Per partition, the positions of documents whose id an earlier document (in input order) has."""
    flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint64)
    later = np.ones(len(flat), dtype=bool)
    later[np.unique(flat, return_index=True)[1]] = False
    out, start = [], 0
    for part in ids:
        out.append(np.flatnonzero(later[start:start + len(part)]).tolist())
        start += len(part)
    return out


def signature(partition: Partition, duplicates: list[int], model_name: str, max_chars: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([model_name, max_chars, duplicates]).encode())
    for source in partition.sources:
        stat = os.stat(source.path)
        h.update(json.dumps([source.kind, source.path, source.doc_id, stat.st_size, stat.st_mtime_ns]).encode())
    return h.hexdigest()


_LOCAL = threading.local()


def _pipeline(model_dir: str):
    # One pipeline per worker thread: loaded once, never shared between threads.
    cached = getattr(_LOCAL, "pipelines", None)
    if cached is None:
        cached = _LOCAL.pipelines = {}
    if model_dir not in cached:
        from nlp.pipeline import load

        cached[model_dir] = load(model_dir)
    return cached[model_dir]


def classify_partition(task: tuple, *, out_dir: str, model_dir: str, batch_size: int, max_chars: int) -> dict:
    """Classify one partition into its part file; return its counts (runs on a worker)."""
    from itertools import islice

    from nlp.classify import classify_articles
    from nlp.output import render_jsonl

    partition, duplicates, sig = task
    pipeline = _pipeline(model_dir)
    flagged = set(duplicates)
    counts = {"documents": 0, "sentences": 0, "errors": 0}
    items = (
        duplicate_problem(item) if position in flagged and isinstance(item, Article) else item
        for position, item in enumerate(_items(partition))
    )
    out = Path(out_dir)
    tmp = out / f".{partition.name}.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        while batch := list(islice(items, batch_size)):
            articles = [item for item in batch if isinstance(item, Article)]
            results = iter(classify_articles(pipeline, articles, batch_size=batch_size, max_chars=max_chars))
            for item in batch:
                result = next(results) if isinstance(item, Article) else item.as_record()
                counts["documents"] += 1
                if isinstance(result, dict):
                    counts["errors"] += 1
                    result = [result]
                else:
                    counts["sentences"] += len(result)
                fh.write(render_jsonl(result))
    os.replace(tmp, out / f"{partition.name}.jsonl")
    info = {"part": f"{partition.name}.jsonl", "signature": sig, "sources": len(partition.sources),
            "first_source": partition.sources[0].path, **counts}
    _write_json(out / f"{partition.name}.json", info)
    return info


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _finished(out: Path, partition: Partition, sig: str) -> dict | None:
    try:
        info = json.loads((out / f"{partition.name}.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if info.get("signature") != sig or not (out / info["part"]).is_file():
        return None
    return info


def _client(scheduler: str | None, workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError('--engine dask needs the dask extra: pip install "claimlens[dask]"') from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as exc:
            raise UsageError(f"cannot reach the dask scheduler at {scheduler} ({exc})") from None
    from nlp.classify import default_workers

    cluster = LocalCluster(
        n_workers=workers or default_workers(), threads_per_worker=1, dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def run_dask(
    inputs: list[str],
    out_dir: Path,
    *,
    model=None,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int = 32,
    max_chars: int,
    resume: bool = False,
    files_per_partition: int = FILES_PER_PARTITION,
):
    import dask.bag as db

    from nlp.classify import RunSummary, model_identity

    summary = RunSummary()
    model_dir, model_name = model_identity(model)
    parts = partitions(inputs, files_per_partition)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: --engine dask writes a directory of parts, and this is a file")
    out_dir.mkdir(parents=True, exist_ok=True)
    current = {f"{p.name}.{ext}" for p in parts for ext in ("jsonl", "json")}
    for stale in [*out_dir.glob("part-*.json*"), out_dir / MANIFEST]:
        if not resume or stale.name not in current:
            stale.unlink(missing_ok=True)

    client, cluster = _client(scheduler, workers)
    try:
        with client:
            ids = db.from_sequence(parts, npartitions=max(len(parts), 1)).map(partition_ids).compute()
            duplicates = later_duplicates(list(ids))
            sigs = [signature(p, d, model_name, max_chars) for p, d in zip(parts, duplicates)]
            infos: list[dict | None] = [_finished(out_dir, p, s) if resume else None for p, s in zip(parts, sigs)]
            todo = [(p, d, s) for p, d, s, info in zip(parts, duplicates, sigs, infos) if info is None]
            summary.resumed = sum(info["documents"] for info in infos if info)
            summary.resumed_sentences = sum(info["sentences"] for info in infos if info)
            if todo:
                done = db.from_sequence(todo, npartitions=len(todo)).map(
                    classify_partition, out_dir=str(out_dir.resolve()), model_dir=str(model_dir),
                    batch_size=batch_size, max_chars=max_chars,
                ).compute()
                by_name = {info["part"]: info for info in done}
                infos = [info or by_name[f"{p.name}.jsonl"] for p, info in zip(parts, infos)]
    finally:
        if cluster is not None:
            cluster.close()
    for info in infos:
        summary.documents += info["documents"]
        summary.sentences += info["sentences"]
        summary.errors += info["errors"]
    _write_json(out_dir / MANIFEST, {
        "engine": "dask", "model": model_name, "inputs": list(inputs),
        "documents": summary.documents, "sentences": summary.sentences, "errors": summary.errors,
        "parts": [{k: v for k, v in info.items() if k != "signature"} for info in infos],
    })
    return summary
