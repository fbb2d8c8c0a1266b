"""Label import: every format from a real file, the alias table, every validation case, snapshots."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nlp.cli import app
from nlp.corpus import data_hash, default_data_dir, read_docs, read_splits
from nlp.errors import DataError, InputError, UsageError
from nlp.label_import import (
    AliasTable, ConflictError, Problem, detect_format, import_labels, parse_alias_options, read_label_file,
    sentence_key, write_labels,
)
from nlp.retrain import build_snapshot

IMPORTS = Path(__file__).parent / "data" / "imports"
BASE = IMPORTS / "base"


def records_of(name: str, **kwargs) -> tuple[str, list]:
    return read_label_file(IMPORTS / name, **kwargs)


def accepted(entries) -> list[tuple[str, str]]:
    return [(e.text, e.label) for e in entries if not isinstance(e, Problem)]


def problems(entries) -> list[tuple[int, str]]:
    return [(e.origin.line, e.code) for e in entries if isinstance(e, Problem)]


# --------------------------------------------------------------------------- formats

FORMAT_CASES = [
    ("claimlens.jsonl", "claimlens", [
        ("The agency said the ceasefire had held overnight.", "attribution"),
        ("Diplomats believe a broader deal is still months away.", "speculation"),
        ("The port reopened to shipping on Friday.", "reported_fact"),
        ("Quoted sources say no decision has been taken.", "attribution"),
    ], [(3, "not_accepted")]),
    ("docs.jsonl", "claimlens-docs", [
        ("Storm knocks out power to thousands", "reported_fact"),
        ("A storm knocked out power to 40,000 homes overnight.", "reported_fact"),
        ("The utility said crews were working to restore service.", "attribution"),
        ("Officials suspect the outage could last into the weekend.", "speculation"),
        ("Share this", "none"),
        ("The museum will open a new wing in June.", "reported_fact"),
    ], []),
    ("prodigy_binary.jsonl", "prodigy", [
        ("Police said the suspect was arrested at the border.", "attribution"),
        ("The factory employs about 300 people.", "reported_fact"),
    ], [(3, "not_accepted"), (4, "not_accepted")]),
    ("prodigy_choice.jsonl", "prodigy", [
        ("The minister denied any wrongdoing.", "attribution"),
        ("It is unclear whether the troops have left.", "speculation"),
    ], [(3, "multi_label")]),
    ("doccano.jsonl", "doccano", [
        ("The company announced record profits on Thursday.", "attribution"),
        ("Rescuers pulled two survivors from the rubble.", "reported_fact"),
        ("The virus is probably spreading faster than reported.", "speculation"),
        ("Subscribe to our newsletter", "none"),
    ], [(5, "missing_label")]),
    ("labelstudio.json", "labelstudio", [
        ("The court ruled that the law was unconstitutional.", "reported_fact"),
        ("Witnesses told reporters they heard three explosions.", "attribution"),  # two agreeing annotators
        ("The fire appears to have started in the kitchen.", "speculation"),  # the cancelled one is ignored
    ], [(26, "missing_label")]),
    ("labels.csv", "csv", [
        ("The bank raised interest rates by half a point.", "reported_fact"),
        ('Economists warned that the rise "could hurt growth".', "attribution"),
        ("Markets may recover once the uncertainty passes.", "speculation"),
    ], []),
    ("labels.tsv", "csv", [
        ("The bridge was built in 1932.", "reported_fact"),
        ("Officials say the bridge is safe.", "attribution"),
    ], []),
]


@pytest.mark.parametrize("name,fmt,expected,expected_problems", FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_each_format_is_detected_and_read(name, fmt, expected, expected_problems):
    assert detect_format(IMPORTS / name) == fmt
    used, entries = records_of(name)
    assert used == fmt
    assert accepted(entries) == expected
    assert problems(entries) == expected_problems


def test_format_can_be_overridden(tmp_path):
    # Read as doccano, a claimlens file has no list labels: every record is a problem, none is guessed.
    used, entries = records_of("claimlens.jsonl", fmt="doccano")
    assert used == "doccano" and not accepted(entries)
    assert {code for _, code in problems(entries)} == {"malformed"}
    with pytest.raises(UsageError, match="unknown label format"):
        records_of("claimlens.jsonl", fmt="brat")


def test_claimlens_records_keep_context_and_provenance():
    _, entries = records_of("claimlens.jsonl")
    first = entries[0]
    assert first.doc_id == "wire_12"
    assert first.context_before == ["Fighting eased across the region on Sunday.",
                                    "Residents returned to the market for the first time in weeks."]
    assert first.context_after == ["Aid convoys are due to arrive on Monday."]
    assert first.extra["labelled_by"] == "desk-a"
    assert entries[3].doc_id == "wire_13"  # the "doc" key of tests/data/*.labels.jsonl


def test_gold_labels_file_of_the_seed_is_importable(repo):
    used, entries = read_label_file(repo / "tests" / "data" / "000_e5d1821d8056c6b7.labels.jsonl")
    assert used == "claimlens"
    assert all(not isinstance(e, Problem) for e in entries)
    assert {e.label for e in entries} <= {"reported_fact", "attribution", "speculation", "none"}


def test_csv_context_becomes_a_passage():
    _, entries = records_of("labels.csv")
    inside, before = entries[1], entries[2]
    # The sentence occurs in its context: the passage is the context, split around it.
    a, b = inside.passage.spans[inside.span_index]
    assert inside.passage.text[a:b] == inside.text
    assert len(inside.passage.spans) == 3
    # It does not: the context is the text just before it.
    a, b = before.passage.spans[before.span_index]
    assert before.passage.text[a:b] == before.text and before.span_index == len(before.passage.spans) - 1
    assert before.passage.text.startswith("Markets fell sharply on the news.")
    assert entries[0].passage is None


def test_docs_records_share_their_document():
    _, entries = records_of("docs.jsonl")
    storm = [e for e in entries if e.doc_id == "desk_001"]
    assert len({id(e.passage) for e in storm}) == 1
    assert [e.span_index for e in storm] == [0, 1, 2, 3]


def test_label_studio_problems_name_the_task_line(tmp_path):
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([
        {"id": 1, "data": {"text": "A."}, "annotations": [
            {"result": [{"type": "choices", "value": {"choices": ["Attribution"]}}]},
            {"result": [{"type": "choices", "value": {"choices": ["Speculation"]}}]},
        ]},
        {"id": 2, "data": {"text": "B."}, "annotations": [
            {"result": [{"type": "choices", "value": {"choices": ["Attribution", "Speculation"]}}]}]},
        {"id": 3, "text": "JSON-MIN row", "claim": "Attribution"},
    ], indent=2))
    _, entries = read_label_file(path)
    # Disagreeing annotators become two records: the conflict check reports them.
    assert accepted(entries) == [("A.", "attribution"), ("A.", "speculation")]
    lines = path.read_text().splitlines()
    for line, code in problems(entries):
        assert code in {"multi_label", "malformed"}
        assert lines[line - 1].strip() == "{"
    report = import_labels([path])
    assert [p.code for p in report.conflicts] == ["conflict"] and report.failed


LS_TASK_LINE = '{"id": 1, "data": {"text": "The army fired."}, "annotations": %s}'


@pytest.mark.parametrize("annotations, message", [
    ('[{"result": "notalist"}]', 'an annotation\'s "result" is not a list of objects'),
    ('[{"result": ["choices"]}]', 'an annotation\'s "result" is not a list of objects'),
    ('"Attribution"', '"annotations" is not a list of objects'),
    ('["Attribution"]', '"annotations" is not a list of objects'),
    ('[{"result": [{"type": "choices", "value": "Attribution"}]}]', 'has no list of "choices"'),
    ('[{"result": [{"type": "choices", "value": {"choices": "Attribution"}}]}]', 'has no list of "choices"'),
], ids=["result-string", "result-item-string", "annotations-string", "annotation-string", "value-string",
        "choices-string"])
def test_label_studio_tasks_of_the_wrong_shape_are_malformed_and_the_others_kept(tmp_path, annotations, message):
    good = LS_TASK_LINE % '[{"result": [{"type": "choices", "value": {"choices": ["Fact"]}}]}]'
    path = tmp_path / "ls.json"
    path.write_text("[\n" + (LS_TASK_LINE % annotations) + ",\n" + good.replace("army", "navy") + "\n]\n")
    _, entries = read_label_file(path)
    assert accepted(entries) == [("The navy fired.", "reported_fact")]
    assert problems(entries) == [(2, "malformed")] and message in entries[0].message


@pytest.mark.parametrize("text, line", [
    ("[1,2\n", 1),  # truncated: once, as not JSON, not twice as "not a Label Studio task"
    ('[\n{"data": {"text": "A."}}\n{"data": {"text": "B."}}\n]\n', 3),  # no comma: seen where the next task starts
    ('[\n{"data": {"text": "A."}}\n] trailing\n', 3),
    ('[{"id": ' + "9" * 5000 + "}]", 1),  # an integer json will not convert
])
def test_a_label_studio_file_that_is_not_one_json_array_is_one_not_json_problem(tmp_path, text, line):
    path = tmp_path / "b.json"
    path.write_text(text)
    _, entries = read_label_file(path)
    assert problems(entries) == [(line, "not_json")]


def test_a_jsonl_line_json_cannot_convert_is_not_json_and_the_next_line_is_kept(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"id": ' + "9" * 5000 + ', "text": "x.", "label": "fact"}\n'
                    + '{"id": 1, "text": "' + "[" * 100000 + '", "label": "fact"}\n'
                    + '{"text": "The army fired.", "label": "fact"}\n')
    _, entries = read_label_file(path)
    assert accepted(entries) == [("[" * 100000, "reported_fact"), ("The army fired.", "reported_fact")]
    assert problems(entries) == [(1, "not_json")]
    path.write_text('{"m": ' + "[" * 100000 + "]" * 100000 + ', "text": "x.", "label": "fact"}\n'
                    + '{"text": "The army fired.", "label": "fact"}\n')
    _, entries = read_label_file(path)
    assert problems(entries) == [(1, "not_json")] and accepted(entries) == [("The army fired.", "reported_fact")]


def test_a_csv_field_over_the_csv_size_limit_is_a_problem_and_the_next_row_is_kept(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("text,label\n" + "x" * 200000 + ",fact\nThe army fired.,fact\n")
    report = import_labels([path])
    assert [(p.origin.line, p.code) for p in report.problems] == [(2, "malformed")]
    assert [r.text for r in report.records] == ["The army fired."]


@pytest.mark.parametrize("lines, fmt, kept, rejected", [
    # One doccano line does not turn the claimlens lines around it into problems.
    (['{"text": "The army fired.", "label": "fact"}', '{"text": "It may rain.", "label": ["speculation"]}'],
     "claimlens", ["The army fired."], [(2, "malformed")]),
    (['{"text": "It may rain.", "label": ["speculation"]}', '{"text": "The army fired.", "label": "fact"}',
      '{"text": "It rained.", "label": ["fact"]}'],
     "doccano", ["It may rain.", "It rained."], [(2, "malformed")]),
], ids=["claimlens-first", "doccano-most"])
def test_a_file_mixing_formats_is_read_as_the_format_of_most_of_its_records(tmp_path, lines, fmt, kept, rejected):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    used, entries = read_label_file(path)
    assert used == fmt and [text for text, _ in accepted(entries)] == kept and problems(entries) == rejected


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp, "is a directory"),
    (lambda tmp: (tmp / "t.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n')[:12]) and tmp / "t.jsonl.gz",
     "cannot read"),
    (lambda tmp: (tmp / "t.JSONL.GZ").write_bytes(gzip.compress(b"")[:10] + b"\xff" * 4 + gzip.compress(
        b'{"text": "x", "label": "fact"}\n' * 50)[14:]) and tmp / "t.JSONL.GZ", "cannot read .*invalid block type"),
])
def test_a_label_file_that_cannot_be_read_is_one_input_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        read_label_file(make(tmp_path))


# --------------------------------------------------------------------------- aliases

@pytest.mark.parametrize("raw,label", [
    ("reported_fact", "reported_fact"),
    ("Reported fact", "reported_fact"),
    ("REPORTED-FACT", "reported_fact"),
    ("fact", "reported_fact"),
    ("FACT", "reported_fact"),
    ("attribution", "attribution"),
    ("quote", "attribution"),
    ("Speculation", "speculation"),
    ("hedged", "speculation"),
    ("none", "none"),
    ("not a claim", "none"),
    ("Not-A-Claim", "none"),
    ("opinion", None),
    ("", None),
    ("facts and figures", None),
    (3, None),
    (None, None),
])
def test_alias_table(raw, label):
    assert AliasTable.load().resolve(raw) == label


def test_extra_aliases_and_bad_targets():
    table = AliasTable.load(extra=parse_alias_options(["opinion=speculation", "Wire Copy = reported_fact"]))
    assert table.resolve("Opinion") == "speculation" and table.resolve("wire copy") == "reported_fact"
    with pytest.raises(UsageError, match="must map to one of"):
        AliasTable.load(extra={"opinion": "maybe"})
    for bad in ("opinion", "=speculation", "opinion="):
        with pytest.raises(UsageError, match="NAME=LABEL"):
            parse_alias_options([bad])


# --------------------------------------------------------------------------- validation

def test_invalid_records_are_each_reported_with_file_and_line():
    report = import_labels([IMPORTS / "invalid_records.jsonl"], base_dir=BASE)
    assert [r.text for r in report.records] == ["The governor signed the bill into law."]
    got = [(p.origin.line, p.code) for p in report.problems]
    assert got == [
        (2, "unknown_label"),
        (3, "empty_text"),
        (4, "empty_text"),
        (5, "missing_label"),
        (6, "missing_text"),
        (7, "not_json"),
        (8, "not_json"),
        (9, "too_long"),
        (10, "bad_text"),  # a lone surrogate: no label file could be written with it
        (11, "bad_text"),
    ]
    assert "a string holds an unpaired surrogate" in report.problems[-1].message
    assert all(p.origin.path.endswith("invalid_records.jsonl") for p in report.problems)
    assert "opinion" in str(report.problems[0]) and "invalid_records.jsonl:2" in str(report.problems[0])
    assert not report.failed  # problems drop records; only unresolved conflicts stop an import


# Every string `labels import -o` writes is checked, not only the sentence: one lone surrogate makes the line unwritable.
@pytest.mark.parametrize("field, value", [
    ("text", "The army \udfff fired."), ("doc_id", "d\udfff"), ("why", "x\udfff"), ("labelled_by", "x\udfff"),
    ("context_before", ["x\udfff"]), ("context_after", ["Fine.", "x\udfff"]),
])
def test_a_lone_surrogate_in_any_field_written_is_a_bad_text_problem(tmp_path, field, value):
    path = tmp_path / "labels.jsonl"
    rows = [{"text": "The army fired.", "label": "reported_fact", field: value},
            {"text": "The summit opens.", "label": "reported_fact"}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["labels", "import", str(path), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert f"{path}:1: bad_text: a string holds an unpaired surrogate" in result.stderr
    assert [json.loads(line)["text"] for line in out.read_text().splitlines()] == ["The summit opens."]


def test_too_long_limit_is_configurable():
    report = import_labels([IMPORTS / "invalid_records.jsonl"], max_chars=20)
    assert ("too_long" in {p.code for p in report.problems}) and not report.records


def test_duplicates_within_the_files_and_against_the_corpus():
    report = import_labels([IMPORTS / "duplicates.jsonl"], base_dir=BASE)
    assert [r.origin.line for r in report.records] == [1, 4]
    assert [(p.origin.line, p.code) for p in report.problems] == [(2, "duplicate"), (3, "in_corpus")]
    assert "duplicates.jsonl:1" in report.problems[0].message  # says which one was kept
    assert "base_train_1 sentence 0" in report.problems[1].message


def test_conflicts_fail_by_default_and_are_all_reported():
    report = import_labels([IMPORTS / "conflicts.jsonl", IMPORTS / "conflicts_later.csv"], base_dir=BASE)
    assert report.failed
    assert [(Path(p.origin.path).name, p.origin.line) for p in report.conflicts] == [
        ("conflicts.jsonl", 2),  # against line 1 of the same file
        ("conflicts.jsonl", 3),  # against the corpus (train split)
        ("conflicts.jsonl", 4),  # against the corpus (test split)
        ("conflicts_later.csv", 2),  # against conflicts.jsonl:5
    ]
    assert all(p.fatal for p in report.conflicts)
    assert "conflicts.jsonl:1" in report.conflicts[0].message
    assert "base_test_1 sentence 1, test split" in report.conflicts[2].message
    assert "conflicts.jsonl:5" in report.conflicts[3].message
    with pytest.raises(ConflictError, match="4 conflicting labels"):
        build_snapshot(report, base_dir=BASE)


@pytest.mark.parametrize("policy,kept,relabels", [
    ("keep-old", {"The company said it would cut 500 jobs.": "attribution",
                  "The embassy will reopen on Monday.": "reported_fact"}, []),
    ("keep-new", {"The company said it would cut 500 jobs.": "speculation",
                  "The embassy will reopen on Monday.": "attribution"},
     [("base_train_1", 2, "speculation", "attribution"), ("base_test_1", 1, "attribution", "reported_fact")]),
])
def test_conflict_policies(policy, kept, relabels):
    report = import_labels([IMPORTS / "conflicts.jsonl", IMPORTS / "conflicts_later.csv"], base_dir=BASE,
                           on_conflict=policy)
    assert not report.failed
    assert {r.text: r.label for r in report.records} == kept
    assert [(r.doc_id, r.sentence, r.old, r.new) for r in report.relabels] == relabels
    # Resolved or not, every conflict stays in the report.
    assert len(report.conflicts) == 4 and not any(p.fatal for p in report.conflicts)
    assert all(("kept" in p.message or "relabelled" in p.message) and "not resolved" not in p.message
               for p in report.conflicts)


def test_bad_arguments():
    with pytest.raises(UsageError, match="on-conflict"):
        import_labels([IMPORTS / "conflicts.jsonl"], on_conflict="merge")
    with pytest.raises(UsageError, match="no label files"):
        import_labels([])
    with pytest.raises(Exception, match="no such file"):
        import_labels([IMPORTS / "missing.jsonl"])


@pytest.mark.parametrize("a,b,same", [
    ("The talks collapsed.", "the talks  collapsed.", True),
    ("“Yes,” he said.", '"Yes," he said.', True),
    ("The talks collapsed.\n", " The talks collapsed.", True),
    ("The talks collapsed.", "The talks collapsed!", False),
    ("The talks collapsed.", "The talk collapsed.", False),
])
def test_sentence_key(a, b, same):
    assert (sentence_key(a) == sentence_key(b)) is same


LABEL_POOL = ["reported_fact", "attribution", "speculation", "fact", "opinion", "", None]
TEXT_POOL = ["The mayor said the road would reopen within a week.",  # in the base corpus (attribution)
             "The council approved the budget on Monday.",  # in the base corpus (dev)
             "A new sentence.", "A new  sentence.", "Another one.", "   "]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(TEXT_POOL), st.sampled_from(LABEL_POOL)), min_size=1, max_size=12),
       policy=st.sampled_from(["fail", "keep-new", "keep-old"]))
def test_nothing_is_lost(tmp_path, rows, policy):
    path = tmp_path / "random.jsonl"
    with open(path, "w") as fh:
        for text, label in rows:
            fh.write(json.dumps({"text": text, "label": label}) + "\n")
    report = import_labels([path], base_dir=BASE, on_conflict=policy)
    accounted = {r.origin.line for r in report.records} | {r.origin.line for r in report.relabels}
    for problem in report.problems:
        accounted.add(problem.origin.line)
        if "dropped" in problem.message:  # keep-new names the earlier record it replaced
            accounted.add(int(problem.message.rsplit(":", 1)[1]))
    assert accounted == set(range(1, len(rows) + 1))
    keys = [r.key for r in report.records]
    assert len(keys) == len(set(keys))  # one label per sentence in what is kept
    assert report.failed == (policy == "fail" and bool(report.conflicts))


# --------------------------------------------------------------------------- snapshots

def test_snapshot_adds_to_train_only_and_never_touches_the_base(tmp_path):
    before = data_hash([BASE / "docs.jsonl", BASE / "splits.json"])
    report = import_labels([IMPORTS / "claimlens.jsonl", IMPORTS / "docs.jsonl", IMPORTS / "conflicts.jsonl"],
                           base_dir=BASE, on_conflict="keep-new")
    snapshot = build_snapshot(report, base_dir=BASE, root=tmp_path)
    assert data_hash([BASE / "docs.jsonl", BASE / "splits.json"]) == before
    assert snapshot.base_sha256 == before
    assert snapshot.sha256 == data_hash([snapshot.dir / "docs.jsonl", snapshot.dir / "splits.json"])
    assert snapshot.dir.name == snapshot.sha256[:16]

    splits, base_splits = read_splits(snapshot.dir), read_splits(BASE)
    assert splits["dev"] == base_splits["dev"] and splits["test"] == base_splits["test"]
    new_ids = [i for i in splits["train"] if i not in base_splits["train"]]
    docs = {d.id: d for d in read_docs(snapshot.dir / "docs.jsonl")}
    assert len(new_ids) == snapshot.documents_added == 4 + 2 + 2  # claimlens, docs (2 documents), conflicts
    assert all(i.startswith("added:") for i in new_ids)

    # The document of the docs format is whole; the record with context has it, unlabelled.
    storm = next(d for i, d in docs.items() if i.endswith(":desk_001"))
    assert [s["label"] for s in storm.sentences] == ["reported_fact", "reported_fact", "attribution", "speculation"]
    ceasefire = next(d for d in docs.values() if d.text.startswith("Fighting eased"))
    assert [s["label"] for s in ceasefire.sentences] == [None, None, "attribution", None]
    for doc in docs.values():
        for s in doc.sentences:
            assert doc.text[s["start"]:s["end"]].strip() == doc.text[s["start"]:s["end"]]

    # keep-new relabels corpus sentences in the snapshot, with the old label kept beside it.
    relabelled = docs["base_test_1"].sentences[1]
    assert relabelled["label"] == "reported_fact" and relabelled["original_label"] == "attribution"
    assert relabelled["changed_by"] == "import:conflicts.jsonl:4"
    provenance = json.loads((snapshot.dir / "provenance.json").read_text())
    assert provenance["snapshot"]["sha256"] == snapshot.sha256 and len(provenance["relabelled"]) == 2

    # Same inputs, same snapshot.
    again = build_snapshot(report, base_dir=BASE, root=tmp_path)
    assert again.dir == snapshot.dir and len(list(tmp_path.iterdir())) == 1


def test_snapshot_documents_train_like_corpus_documents(tmp_path):
    from nlp.training import examples

    report = import_labels([IMPORTS / "claimlens.jsonl", IMPORTS / "labels.csv", IMPORTS / "doccano.jsonl"],
                           base_dir=BASE)
    snapshot = build_snapshot(report, base_dir=BASE, root=tmp_path)
    added = [d for d in read_docs(snapshot.dir / "docs.jsonl") if d.id.startswith("added:")]
    X, y, _, gold = examples(added)
    # Exactly the labelled claim sentences reach training, each with its own text (not its context).
    expected = [(r.text.strip(), r.label) for r in report.records if r.label != "none"]
    assert sorted((item["text"], label) for item, label in zip(X, y)) == sorted(expected)


def test_nothing_new_is_an_error(tmp_path):
    report = import_labels([IMPORTS / "duplicates.jsonl"], base_dir=BASE)
    report.records = []
    with pytest.raises(DataError, match="no new labels"):
        build_snapshot(report, base_dir=BASE, root=tmp_path)


def test_write_labels_round_trips(tmp_path):
    report = import_labels([IMPORTS / "labels.csv", IMPORTS / "docs.jsonl"])
    out = tmp_path / "out.jsonl"
    with open(out, "w") as fh:
        write_labels(report.records, fh)
    again = import_labels([out])
    assert [(r.text, r.label) for r in again.records] == [(r.text, r.label) for r in report.records]
    assert again.records[1].context_before == ["The bank raised interest rates by half a point."]


def test_snapshot_carries_the_base_synthetic_documents(tmp_path):
    from nlp.corpus import SYNTHETIC_FILE, data_files, load_synthetic

    base = tmp_path / "base"
    shutil.copytree(BASE, base)
    (base / SYNTHETIC_FILE).write_text(
        (default_data_dir() / SYNTHETIC_FILE).read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8")
    report = import_labels([IMPORTS / "claimlens.jsonl"], base_dir=base)
    snapshot = build_snapshot(report, base_dir=base, root=tmp_path / "snapshots")
    assert [doc.id for doc in load_synthetic(snapshot.dir)] == [doc.id for doc in load_synthetic(base)]
    assert snapshot.sha256 == data_hash(data_files(snapshot.dir)) != data_hash(data_files(snapshot.dir, synthetic=False))
    assert snapshot.base_sha256 == data_hash(data_files(base))


@pytest.mark.parametrize("options, message", [
    (["-o", "lab.csv"], "lab.csv: the output is one of the inputs; writing it would destroy lab.csv"),
    (["--report", "lab.csv"], "lab.csv: the output is one of the inputs; writing it would destroy lab.csv"),
    (["-o", "link.jsonl"], "link.jsonl: the output is one of the inputs; writing it would destroy lab.csv"),
    (["-o", "x.jsonl", "--report", "x.jsonl"], "x.jsonl: --report and -o name the same file; one would overwrite the other"),
    (["-o", "x.jsonl", "--report", "./x.jsonl"],
     "x.jsonl: --report and -o name the same file; one would overwrite the other"),  # Path drops the ./
])
def test_labels_import_outputs_are_not_its_inputs_nor_each_other(tmp_path, monkeypatch, options, message):
    monkeypatch.chdir(tmp_path)
    original = "text,label\nRockets hit the town.,fact\n"
    (tmp_path / "lab.csv").write_text(original, encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to("lab.csv")
    result = CliRunner().invoke(app, ["labels", "import", "lab.csv", *options])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"claimlens: error: {message}"
    assert (tmp_path / "lab.csv").read_text(encoding="utf-8") == original
    assert not (tmp_path / "x.jsonl").exists()
