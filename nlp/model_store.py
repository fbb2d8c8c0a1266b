"""Saving, finding and verifying trained models.

A model directory holds ``model.joblib`` (the scikit-learn pipeline) and ``meta.json``
(name, version, label set, library versions, hashes, metrics). A joblib file is pickled
code: it is loaded only after its SHA-256 matches ``meta.json`` and the recorded library
versions match the running ones.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from pathlib import Path

import nlp
from nlp.errors import ModelError

# scikit-learn, spaCy and joblib are imported where they are used: finding a model or reading
# its meta.json (e.g. for a report over a classify output) must not pay seconds of imports.

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
DEFAULT_POINTER = "DEFAULT"
ENV_MODELS_DIR = "CLAIMLENS_MODELS_DIR"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import sklearn
    import spacy

    return {
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "scikit-learn": sklearn.__version__,
        "claimlens": nlp.__version__,
    }


def models_dir() -> Path:
    """Where trained models live: $CLAIMLENS_MODELS_DIR, the repo's ``models/``, or the wheel's copy."""
    if os.environ.get(ENV_MODELS_DIR):
        return Path(os.environ[ENV_MODELS_DIR])
    package = Path(nlp.__file__).resolve().parent
    for candidate in (package.parent / "models", package / "_models"):
        if (candidate / DEFAULT_POINTER).is_file():
            return candidate
    return package.parent / "models"


def default_model_dir() -> Path:
    root = models_dir()
    pointer = root / DEFAULT_POINTER
    if not pointer.is_file():
        raise ModelError(f"no default model in {root} (train one with `claimlens train`, or pass --model PATH)")
    return root / pointer.read_text(encoding="utf-8").strip()


def resolve_model_dir(model: str | Path | None) -> Path:
    if model is None:
        return default_model_dir()
    path = Path(model)
    if not path.exists() and (models_dir() / path).exists():
        path = models_dir() / path  # a registered model's name
    return path


def save_model(estimator, meta: dict, out_dir: Path) -> dict:
    import joblib

    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    joblib.dump(estimator, model_path, compress=3)
    from nlp.features import FEATURES_VERSION

    meta = {**meta, "versions": library_versions(), "features_version": FEATURES_VERSION,
            "model_sha256": sha256_file(model_path)}
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return meta


def read_meta(model_dir: Path) -> dict:
    meta_path = model_dir / META_FILE
    if not meta_path.is_file():
        raise ModelError(f"{model_dir}: not a claimlens model (no {META_FILE})")
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_path}: unreadable metadata ({exc})") from None


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def verify(model_dir: Path, meta: dict) -> None:
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise ModelError(f"{model_dir}: {MODEL_FILE} is missing")
    actual = sha256_file(model_path)
    if actual != meta.get("model_sha256"):
        raise ModelError(
            f"{model_path}: SHA-256 does not match meta.json (file changed or corrupted); "
            "refusing to load it — retrain with `claimlens train`"
        )
    from nlp.features import FEATURES_VERSION

    if meta.get("features_version") != FEATURES_VERSION:
        raise ModelError(
            f"{model_dir}: built for claimlens features version {meta.get('features_version', '?')}, this "
            f"claimlens computes version {FEATURES_VERSION}; retrain with `claimlens train`"
        )
    recorded = meta.get("versions", {})
    running = library_versions()
    for library in ("scikit-learn", "spacy"):
        if _minor(recorded.get(library, "?")) != _minor(running[library]):
            raise ModelError(
                f"{model_dir}: trained with {library} {recorded.get(library, '?')}, running {library} "
                f"{running[library]}; retrain with `claimlens train` or install {library}=={recorded.get(library)}"
            )


def load_model(model: str | Path | None = None):
    """Return ``(estimator, meta, model_dir)`` for a verified model."""
    import joblib
    import sklearn

    model_dir = resolve_model_dir(model)
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: no such model directory")
    meta = read_meta(model_dir)
    verify(model_dir, meta)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sklearn.exceptions.InconsistentVersionWarning)
        try:
            estimator = joblib.load(model_dir / MODEL_FILE)
        except sklearn.exceptions.InconsistentVersionWarning as exc:
            raise ModelError(
                f"{model_dir}: pickled with scikit-learn {exc.original_sklearn_version}, running scikit-learn "
                f"{exc.current_sklearn_version}; retrain with `claimlens train` or install "
                f"scikit-learn=={exc.original_sklearn_version}"
            ) from None
        except Exception as exc:  # a verified file that still fails to unpickle
            raise ModelError(f"{model_dir}: cannot load {MODEL_FILE} ({type(exc).__name__}: {exc})") from None
    return estimator, meta, model_dir
