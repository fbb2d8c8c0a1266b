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
from nlp import LABELS
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
    """The model directory ``model`` names (a path or a registered name; None: the default model)."""
    if model is None:
        path = default_model_dir()
    else:
        path = Path(model)
        if not path.exists() and (models_dir() / path).exists():
            path = models_dir() / path  # a registered model's name
    if path.is_dir():
        return path
    if path.exists():
        raise ModelError(f"{path}: not a directory (a model is a directory with {MODEL_FILE} and {META_FILE})")
    raise ModelError(f"{path}: no such model directory")


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
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{model_dir}: not a claimlens model (no {META_FILE})") from None
    except OSError as exc:  # an unreadable model folder, or a meta.json that is a folder
        raise ModelError(f"{meta_path}: cannot read ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, or beyond the parser's limits
        raise ModelError(f"{meta_path}: unreadable metadata ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{meta_path}: unreadable metadata (a JSON {type(meta).__name__}, not an object)")
    return meta


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def verify(model_dir: Path, meta: dict) -> None:
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise ModelError(f"{model_dir}: {MODEL_FILE} is missing")
    if "model_sha256" not in meta:
        raise ModelError(f"{model_dir}: {META_FILE} records no model_sha256, so {MODEL_FILE} cannot be checked; "
                         "refusing to load it — retrain with `claimlens train`")
    try:
        actual = sha256_file(model_path)
    except OSError as exc:
        raise ModelError(f"{model_path}: cannot read ({exc.strerror})") from None
    if actual != meta["model_sha256"]:
        raise ModelError(
            f"{model_path}: SHA-256 does not match meta.json (file changed or corrupted); "
            "refusing to load it — retrain with `claimlens train`"
        )
    from nlp.features import FEATURES_VERSION

    features_version = meta.get("features_version")
    if features_version != FEATURES_VERSION:
        # repr: a hand-edited "9" must not read as the 9 we compute.
        built = "records no features version" if features_version is None else \
            f"built for claimlens features version {features_version!r}"
        raise ModelError(
            f"{model_dir}: {built}, this claimlens computes version {FEATURES_VERSION}; retrain with `claimlens train`"
        )
    recorded = meta.get("versions", {})
    if not isinstance(recorded, dict):
        raise ModelError(f"{model_dir}: {META_FILE} \"versions\" is not an object of library versions; "
                         "retrain with `claimlens train`")
    running = library_versions()
    for library in ("scikit-learn", "spacy"):
        trained_with = str(recorded.get(library, "?"))
        if _minor(trained_with) != _minor(running[library]):
            raise ModelError(
                f"{model_dir}: trained with {library} {trained_with}, running {library} "
                f"{running[library]}; retrain with `claimlens train` or install {library}=={trained_with}"
            )


def load_model(model: str | Path | None = None):
    """Return ``(estimator, meta, model_dir)`` for a verified model."""
    import joblib
    import sklearn

    model_dir = resolve_model_dir(model)
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
    classes = [str(label) for label in getattr(estimator, "classes_", ())]
    if sorted(classes) != sorted(LABELS):  # a pickle of something else, or of another task's classifier
        raise ModelError(f"{model_dir}: {MODEL_FILE} predicts {classes}, expected the labels {list(LABELS)}")
    return estimator, meta, model_dir
