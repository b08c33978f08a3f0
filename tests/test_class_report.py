"""`class report`: the figures of a small hand-made class, checked against sums done by hand; malformed and
duplicate exports skipped by file; the learner name carried by `progress export --learner`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from tutor.cli import main
from tutor.progress import Attempt, ProgressStore, Verdict
from tutor.progress.class_report import Lesson, class_report, read_export

# Pack "p": lesson l1 has problems a and b, lesson l2 has problem c. Lesson "extra" is in no pack given.
LESSONS = [Lesson("p", "l1", "Lesson one", ("a", "b")), Lesson("p", "l2", "Lesson two", ("c",))]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat(timespec="microseconds")


def answer(uid, lesson, problem, verdict, minute, seconds, diagnosis=None):
    return {"uid": uid, "pack_id": "p", "pack_version": "1", "lesson_id": lesson, "problem_id": problem,
            "variant_seed": None, "answer_text": "42", "verdict": verdict, "diagnosis": diagnosis, "hints_used": 0,
            "seconds": seconds, "answered_at": at(minute)}


def export(attempts, learner=None, exported_minute=1000):
    document = {"format": "backprop-tutor-progress", "format_version": 1, "exported_at": at(exported_minute)}
    if learner is not None:
        document["learner"] = learner
    document.update(attempts=attempts, review_cards=[], review_log=[])
    return json.dumps(document, indent=2)


ANA = [  # a right at once; b wrong (missing-path) then right; c unreadable (not counted) then right
    answer("ana-1", "l1", "a", "correct", 1, 10),
    answer("ana-2", "l1", "b", "incorrect", 2, 20, "missing-path"),
    answer("ana-3", "l1", "b", "correct", 3, 5),
    answer("ana-4", "l2", "c", "invalid", 4, 99),
    answer("ana-5", "l2", "c", "correct", 5, 15),
]
BEN = [  # a wrong twice, then gave up; c right at once
    answer("ben-1", "l1", "a", "incorrect", 1, 30, "missing-path"),
    answer("ben-2", "l1", "a", "incorrect", 2, 30, "missing-upstream"),
    answer("ben-3", "l1", "a", "gave-up", 3, 0),
    answer("ben-4", "l2", "c", "correct", 4, 60),
]
CY = [  # b: the file lists a later wrong answer first; by time the first answer was right. z: a lesson in no pack
    answer("cy-2", "l1", "b", "incorrect", 5, 7, "sign-flip"),
    answer("cy-1", "l1", "b", "correct", 2, 3),
    answer("cy-3", "extra", "z", "correct", 6, 4),
]


@pytest.fixture
def class_folder(tmp_path):
    files = {
        "ana.json": export(ANA, "Ana"),
        "ben.json": export(BEN, "Ben"),
        "cy.json": export(CY),  # no learner name: shown by its file name
        "ana-old.json": export(ANA[:1], " ana ", exported_minute=100),  # Ana again, an earlier export
        "bad.json": export([{**BEN[0], "verdict": "wrong"}], "Dee"),
        "notes.json": "{\"format\": \"backprop-tutor-progress\", ",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "ana-copy.json").write_bytes((tmp_path / "ana.json").read_bytes())
    order = ["ana.json", "ben.json", "ana-copy.json", "cy.json", "ana-old.json", "bad.json", "notes.json"]
    return tmp_path, [tmp_path / name for name in order]


def test_the_figures_of_a_hand_made_class(class_folder):
    folder, paths = class_folder
    report = class_report(paths, LESSONS)

    rows = {row.learner: row for row in report.learners}
    assert list(rows) == ["Ana", "Ben", "(cy.json)"]
    # Ana: counted answers 4 (the invalid one is not), 10+20+5+15 = 50 s; a, b, c attempted and solved;
    # first try: a yes, b no, c yes (its invalid answer does not count) = 2/3; l1 (a, b) and l2 (c) done.
    ana = rows["Ana"]
    assert (ana.answers, ana.seconds, ana.problems_attempted, ana.problems_solved, ana.first_try, ana.lessons_done) \
        == (4, 50.0, 3, 3, 2, 2)
    assert ana.first_try_rate == pytest.approx(2 / 3)
    # Ben: 4 answers, 30+30+0+60 = 120 s; a and c attempted, only c solved; first try c only = 1/2; l2 done.
    ben = rows["Ben"]
    assert (ben.answers, ben.seconds, ben.problems_attempted, ben.problems_solved, ben.first_try, ben.lessons_done) \
        == (4, 120.0, 2, 1, 1, 1)
    # Cy: 3 answers, 7+3+4 = 14 s; b (first by time: right) and z solved = 2/2; l1 lacks a, l2 untouched: 0 done.
    cy = rows["(cy.json)"]
    assert (cy.answers, cy.seconds, cy.problems_attempted, cy.problems_solved, cy.first_try, cy.lessons_done) \
        == (3, 14.0, 2, 2, 2, 0)
    assert (cy.lessons_started, ana.lessons_started, ben.lessons_started) == (2, 2, 2)

    # Per problem (learners who tried, counted attempts, right at the first try, solved):
    # a: Ana 1 + Ben 3 = 4 attempts, first try Ana only = 1/2; b: Ana 2 + Cy 2 = 4, first try Cy only = 1/2;
    # c: Ana 1 + Ben 1 = 2, both at once = 2/2; z: Cy 1, 1/1. Hardest first; ties by more learners, then id.
    figures = [(row.problem_id, row.learners, row.attempts, row.first_try, row.solved) for row in report.problems]
    assert figures == [("a", 2, 4, 1, 1), ("b", 2, 4, 1, 2), ("c", 2, 2, 2, 2), ("z", 1, 1, 1, 1)]
    assert [row.first_try_rate for row in report.problems] == [0.5, 0.5, 1.0, 1.0]

    # Per rule, of 3 learners: missing-path Ana and Ben = 2/3 (2 answers); missing-upstream Ben = 1/3;
    # sign-flip Cy = 1/3.
    rules = [(row.diagnosis, row.learners, round(row.share, 4), row.answers) for row in report.rules]
    assert rules == [("missing-path", 2, 0.6667, 2), ("missing-upstream", 1, 0.3333, 1), ("sign-flip", 1, 0.3333, 1)]
    assert report.rules[0].words == "left out a path at fan-out"

    # Skipped, by file, in the order given: the identical copy, Ana's earlier export, the two malformed files.
    skipped = {item.file.rsplit("/", 1)[-1]: item.reason for item in report.skipped}
    assert list(skipped) == ["ana-copy.json", "ana-old.json", "bad.json", "notes.json"]
    assert skipped["ana-copy.json"] == f"the same content as {folder / 'ana.json'}"
    assert skipped["ana-old.json"].startswith(f"learner ' ana ' also in {folder / 'ana.json'}, exported later")
    assert skipped["bad.json"].startswith("attempts[0].verdict: Input should be")
    assert "not valid JSON" in skipped["notes.json"]

    # Gradebook: l1 and l2 as percent of their problems solved; "extra" (no pack) as problems solved.
    handle = io.StringIO()
    report.write_csv(handle)
    table = list(csv.reader(io.StringIO(handle.getvalue())))
    assert table[0] == ["learner", "file", "lessons done", "problems solved", "first-try %", "minutes",
                        "p/l1 (% solved)", "p/l2 (% solved)", "p/extra (problems solved)"]
    body = [[row[0], *row[2:]] for row in table[1:]]
    # minutes: 50/60 = 0.8, 120/60 = 2.0, 14/60 = 0.2; Ben solved neither a nor b (0%), Cy b of a, b (50%).
    assert body == [["Ana", "2", "3", "66.7", "0.8", "100.0", "100.0", "0"],
                    ["Ben", "1", "1", "50.0", "2.0", "0.0", "100.0", "0"],
                    ["(cy.json)", "0", "2", "100.0", "0.2", "50.0", "0.0", "1"]]


def test_the_command_prints_the_tables_writes_the_gradebook_and_exits_1_for_skipped_files(
        class_folder, capsys, monkeypatch):
    folder, paths = class_folder
    monkeypatch.setattr("tutor.commands.class_report._lessons", lambda args: LESSONS)
    gradebook = folder / "grades.csv"
    code = main(["class", "report", *map(str, paths), "--csv", str(gradebook)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "67%" in out and "left out a path at fan-out" in out
    for name in ("ana-copy.json", "ana-old.json", "bad.json", "notes.json"):
        assert f"skipped {folder / name}: " in err
    assert "4 of 7 exports skipped" in err
    assert gradebook.read_text(encoding="utf-8").splitlines()[1].startswith("Ana,")

    code = main(["class", "report", str(paths[0]), str(paths[1]), "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    document = json.loads(out)
    assert [row["learner"] for row in document["learners"]] == ["Ana", "Ben"]
    assert document["skipped"] == []

    assert main(["class", "report", str(folder / "bad.json")]) == 2
    assert "no usable export" in capsys.readouterr().err


def test_a_name_that_a_spreadsheet_would_run_is_quoted_in_the_gradebook(tmp_path):
    (tmp_path / "x.json").write_text(export(ANA[:1], "=HYPERLINK(\"http://x\")"), encoding="utf-8")
    handle = io.StringIO()
    class_report([tmp_path / "x.json"], LESSONS).write_csv(handle)
    assert list(csv.reader(io.StringIO(handle.getvalue())))[1][0] == "'=HYPERLINK(\"http://x\")"


def test_export_with_a_learner_name_is_read_by_the_report_and_still_imports(tmp_path, capsys):
    data = tmp_path / "data"
    with ProgressStore.open(data) as store:
        store.record_attempt(Attempt("p", "1", "l1", "a", "42", Verdict.CORRECT, seconds=3.0))
    target = tmp_path / "ana.json"
    assert main(["--data-dir", str(data), "progress", "export", "--learner", "Ana Lima", str(target)]) == 0
    assert "for Ana Lima" in capsys.readouterr().out
    assert json.loads(target.read_text())["learner"] == "Ana Lima"
    learner = read_export(target)
    assert (learner.name, learner.answers, learner.seconds) == ("Ana Lima", 1, 3.0)
    with ProgressStore.open(tmp_path / "other") as other:
        assert other.import_json(target).attempts_added == 1
    # Without --learner the export is as before (no learner field) and is listed by its file name.
    plain = tmp_path / "plain.json"
    assert main(["--data-dir", str(data), "progress", "export", str(plain)]) == 0
    assert "learner" not in json.loads(plain.read_text())
    assert read_export(plain).label == "(plain.json)"
    # A blank or multi-line name is refused before anything is written.
    assert main(["--data-dir", str(data), "progress", "export", "--learner", "a\nb", str(tmp_path / "n.json")]) == 2
    assert not (tmp_path / "n.json").exists()
    capsys.readouterr()


def test_memory_does_not_hold_answers(tmp_path, monkeypatch):
    """Each file is read a chunk at a time: a 64-character chunk still gives the same figures."""
    (tmp_path / "ana.json").write_text(export(ANA, "Ana"), encoding="utf-8")
    whole = class_report([tmp_path / "ana.json"], LESSONS).as_json()
    monkeypatch.setattr("tutor.progress.transfer.CHUNK_CHARS", 64)
    assert class_report([tmp_path / "ana.json"], LESSONS).as_json() == whole
