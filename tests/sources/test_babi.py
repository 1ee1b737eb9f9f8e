"""The bAbI source: parsing, decomposition, selection, every data location, errors; real data when present."""

from __future__ import annotations

import ast
import io
import json
import tarfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from shared_data import BABI_ARCHIVE, PAPER_OUTPUTS, needs_babi, needs_paper_outputs

from tracebench.problem import Problem, Step
from tracebench.scoring import score_sample
from tracebench.sources import DataNotFoundError, babi, get_source, load_problems
from tracebench.sources.babi import LABELS, ParquetData, load, open_data, parse_stories, parse_tasks, story_problems
from tracebench.traces import render

# --------------------------------------------------------------------------------------------- fixtures

# A qa2-like file: supporting ids written out of context order ("4 1"), a question line with a trailing
# space before the tab (as in the real files), two stories.
QA2 = (
    "1 Mary got the milk there.\n"
    "2 John moved to the bedroom.\n"
    "3 Where is John? \tbedroom\t2\n"
    "4 Mary travelled to the hallway.\n"
    "5 Where is the milk? \thallway\t4 1\n"
    "1 Sandra went to the garden.\n"
    "2 Where is Sandra?\tgarden\t1\n"
)
QA8 = (
    "1 Mary got the milk there.\n"
    "2 Mary picked up the football there.\n"
    "3 What is Mary carrying?\tmilk,football\t1 2\n"
    "1 John went to the office.\n"
    "2 What is John carrying?\tnothing\t\n"
)
ROOMS = ("kitchen", "garden", "office", "hallway", "bedroom")


def qa1_text(n_stories: int) -> str:
    """``n_stories`` qa1 stories; story k says where person k went, and asks twice."""
    lines = []
    for k in range(n_stories):
        room = ROOMS[k % len(ROOMS)]
        lines += [
            f"1 Person{k} went to the {room}.",
            "2 Mary moved to the office.",
            f"3 Where is Person{k}? \t{room}\t1",
            "4 Mary went to the garden.",
            "5 Where is Mary? \tgarden\t4",
        ]
    return "\n".join(lines) + "\n"


FILES = {
    "en/qa1_single-supporting-fact_train.txt": qa1_text(3),
    "en/qa1_single-supporting-fact_test.txt": qa1_text(25),
    "en/qa2_two-supporting-facts_train.txt": QA2,
    "en/qa2_two-supporting-facts_test.txt": QA2,
    "en/qa8_lists-sets_train.txt": QA8,
    "en/qa8_lists-sets_test.txt": QA8,
    "en-10k/qa1_single-supporting-fact_test.txt": qa1_text(2),
    "en-10k/qa1_single-supporting-fact_train.txt": qa1_text(4),
    "en-10k/qa2_two-supporting-facts_test.txt": QA2,
    # en-10k/qa2 train is missing on purpose, like the real en-10k qa3 train file.
}


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACEBENCH_BABI_PATH", raising=False)
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "tasks_1-20_v1-2"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "LICENSE.txt").write_text("CC BY 3.0\n")
    return root


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "tasks_1-20_v1-2.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in FILES.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"tasks_1-20_v1-2/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def dicts(problems: list[Problem]) -> list[dict[str, object]]:
    return [p.to_dict() for p in problems]


# ------------------------------------------------------------------------------------ parse + decompose


def test_parse_stories_splits_on_id_restart() -> None:
    stories = parse_stories(QA2.splitlines(), "qa2.txt")
    assert [s.index for s in stories] == [0, 1]
    assert [len(s.lines) for s in stories] == [5, 2]
    q = stories[0].lines[4]
    assert (q.id, q.text, q.answer, q.supporting) == (5, "Where is the milk?", "hallway", (4, 1))
    assert stories[0].lines[0].answer is None


def test_parse_stories_reports_file_and_line() -> None:
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected 'ID text'"):
        parse_stories(["1 Mary went home.", "oops"], "bad.txt")
    with pytest.raises(ValueError, match=r"bad\.txt:2: supporting ids must be integers"):
        parse_stories(["1 Mary went home.", "2 Where is Mary?\thome\tx"], "bad.txt")


def test_decomposition_field_by_field() -> None:
    story = parse_stories(QA2.splitlines(), "qa2.txt")[0]
    first, second = story_problems(story, variant="en", task=2, split="test", questions="all")
    assert first == Problem(
        id="babi/en/qa2/test/s0/q0",
        source="babi",
        context=("Mary got the milk there.", "John moved to the bedroom."),
        question="Where is John?",
        steps=(Step.classification("two-supporting-facts", LABELS), Step.retrieval(("John moved to the bedroom.",))),
        answers=("bedroom",),
    )
    # The question line 3 is not context; facts follow context order although the file says "4 1".
    assert second.context == (
        "Mary got the milk there.",
        "John moved to the bedroom.",
        "Mary travelled to the hallway.",
    )
    assert second.facts == ("Mary got the milk there.", "Mary travelled to the hallway.")
    assert second.id == "babi/en/qa2/test/s0/q1"
    assert second.meta == {
        "category": "two-supporting-facts",
        "task": 2,
        "variant": "en",
        "split": "test",
        "story": 0,
        "question_index": 1,
        "answer_format": "text",
    }
    only_first = story_problems(story, variant="en", task=2, split="test", questions="first")
    assert only_first == [first]


def test_list_and_path_answers() -> None:
    stories = parse_stories(QA8.splitlines(), "qa8.txt")
    carrying, nothing = (story_problems(s, variant="en", task=8, split="train")[0] for s in stories)
    assert carrying.answers == ("milk", "football")
    assert carrying.meta["answer_format"] == "set" and carrying.meta["answer_sep"] == ","
    assert carrying.target_answer() == "milk,football"
    assert nothing.answers == ("nothing",) and nothing.facts == ()
    qa19 = parse_stories(
        ["1 The garden is west of the office.", "2 How do you go from the office to the garden?\tw\t1"]
    )
    (path,) = story_problems(qa19[0], variant="en", task=19, split="test")
    assert path.answers == ("w",) and path.meta["answer_format"] == "sequence"
    longer = parse_stories(["1 A is north of B.", "2 C is east of A.", "3 How do you go from B to C?\tn,e\t1 2"])
    assert story_problems(longer[0], variant="en", task=19, split="test")[0].answers == ("n", "e")


def test_supporting_id_must_name_an_earlier_statement() -> None:
    story = parse_stories(["1 Mary went home.", "2 Where is Mary?\thome\t3"], "x.txt")[0]
    with pytest.raises(ValueError, match=r"supporting id\(s\) \[3\]"):
        story_problems(story, variant="en", task=1, split="test")


def test_parse_tasks() -> None:
    assert parse_tasks(None) == babi.STUDY_TASKS == (1, 2, 4, 7, 8, 12, 14, 15, 16, 17, 18)
    assert parse_tasks("all") == tuple(range(1, 21))
    assert parse_tasks("1, qa8,counting") == (1, 8, 7)
    assert parse_tasks([3, "3", "lists-sets"]) == (3, 8)
    assert parse_tasks(19) == (19,)
    with pytest.raises(ValueError, match="unknown bAbI task"):
        parse_tasks("qa21")


def test_labels_are_the_twenty_task_names() -> None:
    assert len(LABELS) == 20 and LABELS[0] == "single-supporting-fact" and LABELS[-1] == "agents-motivations"
    spec = get_source("babi")
    assert spec.labels == LABELS and spec.env_var == "TRACEBENCH_BABI_PATH"


# ------------------------------------------------------------------------------ locations and selection


def test_archive_folder_and_parent_give_the_same_problems(archive: Path, folder: Path) -> None:
    opts = {"tasks": [1, 2, 8], "questions": "all", "test_fraction": 1.0}
    from_archive = load("test", data_path=archive, **opts)
    assert dicts(load("test", data_path=folder, **opts)) == dicts(from_archive)
    assert dicts(load("test", data_path=folder.parent, **opts)) == dicts(from_archive)  # holds tasks_1-20_v1-2/
    assert len(from_archive) == 25 * 2 + 3 + 2  # qa1: 25 stories x 2 questions; qa2: 3; qa8: 2


def test_env_vars_locate_the_data(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEBENCH_BABI_PATH", str(archive))
    assert len(load_problems("babi", "train", tasks=1)) == 3
    monkeypatch.delenv("TRACEBENCH_BABI_PATH")
    data_dir = archive.parent / "root"
    (data_dir / "babi").mkdir(parents=True)
    archive.rename(data_dir / "babi" / archive.name)
    monkeypatch.setenv("TRACEBENCH_DATA_DIR", str(data_dir))
    assert len(load_problems("babi", "train", tasks=1)) == 3


def test_test_selection_is_a_seeded_fraction_of_stories(archive: Path) -> None:
    # qa1 test has 25 stories: floor(0.1 * 25) = 2 stories, first question each.
    picked = load("test", data_path=archive, tasks=1)
    assert len(picked) == 2
    assert all(p.meta["question_index"] == 0 for p in picked)
    stories = [p.meta["story"] for p in picked]
    assert stories == sorted(stories)
    assert stories == babi.select_stories(25, 1, 0.1, babi.DEFAULT_SEED)
    assert dicts(load("test", data_path=archive, tasks=1)) == dicts(picked)  # deterministic
    # 0.2 of 25 = 5 stories; with questions="all" each gives 2 problems.
    assert len(load("test", data_path=archive, tasks=1, test_fraction=0.2, questions="all")) == 10
    # Another seed, another draw (over all 40 draws of 4 of 25 stories, at least one differs).
    draws = {tuple(babi.select_stories(25, 1, 0.16, s)) for s in range(40)}
    assert len(draws) > 1
    # QA2 and QA8 have 2 stories: max(1, floor(0.2)) = 1.
    assert len(load("test", data_path=archive, tasks=[2, 8])) == 2
    assert babi.selection_size(125, 0.1) == 12 and babi.selection_size(199, 0.1) == 19
    with pytest.raises(ValueError, match="test_fraction"):
        babi.selection_size(10, 0)


def test_train_split_takes_every_story(archive: Path) -> None:
    train = load("train", data_path=archive, tasks=1)
    assert [p.id for p in train] == [f"babi/en/qa1/train/s{k}/q0" for k in range(3)]
    assert len(load("train", data_path=archive, tasks=1, questions="all")) == 6
    assert len(load("train", data_path=archive, tasks=1, variant="en-10k")) == 4


def test_missing_task_file_is_named(archive: Path, folder: Path) -> None:
    for where in (archive, folder):
        with pytest.raises(DataNotFoundError) as err:
            load("train", data_path=where, variant="en-10k", tasks=2)
        msg = str(err.value)
        for part in ("qa2", "two-supporting-facts", "'en-10k'", "'train'", "qa2_two-supporting-facts_train.txt"):
            assert part in msg
        assert str(where) in msg


def test_iter_all_skips_missing_files_with_a_warning(archive: Path) -> None:
    with pytest.warns(UserWarning, match=r"'en-10k': 37 task file\(s\) missing .* qa2 train, qa3 train"):
        problems = list(babi.iter_all(variant="en-10k", data_path=archive))
    # en-10k: qa1 test 2 stories + train 4 stories, 2 questions each = 12; qa2 test = 3 questions.
    assert len(problems) == 15
    with pytest.raises(DataNotFoundError):
        list(babi.iter_all(variant="en-10k", data_path=archive, missing="error"))
    # en: qa1 (3 + 25 stories) * 2 + qa2 3 * 2 + qa8 2 * 2 = 56 + 6 + 4 = 66.
    with pytest.warns(UserWarning, match="34 task file"):  # the fixture lacks tasks 3-7, 9-20: 17 x 2 files
        assert len(list(get_source("babi").iter_all(data_path=archive))) == 66


def test_bad_options(archive: Path) -> None:
    with pytest.raises(ValueError, match="variant"):
        load("test", data_path=archive, variant="hn")
    with pytest.raises(ValueError, match="split"):
        load("valid", data_path=archive)
    with pytest.raises(ValueError, match="questions"):
        load("test", data_path=archive, questions="last")


def test_not_a_tar_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "tasks_1-20_v1-2.tar.gz"
    bogus.write_text("not a tar")
    with pytest.raises(DataNotFoundError, match="not a tar archive"):
        open_data(bogus)


# ------------------------------------------------------------------------------------ parquet and the hub


def write_parquet_export(root: Path, config: str, split: str, text: str) -> Path:
    """Write ``text``'s stories as the hub's parquet export does (``datasets`` features of babi_qa.py)."""
    import datasets

    features = datasets.Features(
        {
            "story": datasets.Sequence(
                {
                    "id": datasets.Value("string"),
                    "type": datasets.ClassLabel(names=["context", "question"]),
                    "text": datasets.Value("string"),
                    "supporting_ids": datasets.Sequence(datasets.Value("string")),
                    "answer": datasets.Value("string"),
                }
            )
        }
    )
    rows = []
    for story in parse_stories(text.splitlines()):
        rows.append(
            {
                "id": [str(line.id) for line in story.lines],
                "type": [1 if line.is_question else 0 for line in story.lines],
                "text": [line.text for line in story.lines],
                "supporting_ids": [[str(i) for i in line.supporting] for line in story.lines],
                "answer": [line.answer or "" for line in story.lines],
            }
        )
    path = root / config / split / "0000.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict({"story": rows}, features=features).to_parquet(str(path))
    return path


def load_parquet_stories(path: Path, cache_dir: str) -> list[babi.BabiStory]:
    """Stories of one parquet file in the hub's schema, read with :mod:`datasets` (as the loader does)."""
    import datasets

    ds = datasets.load_dataset("parquet", data_files={"rows": [str(path)]}, split="rows", cache_dir=cache_dir)
    return babi.stories_from_rows(ds, str(path))


def test_parquet_export_in_hub_schema(tmp_path: Path, archive: Path) -> None:
    root = tmp_path / "babi_parquet"
    write_parquet_export(root, "en-qa2", "test", QA2)
    path = write_parquet_export(root, "en-qa8", "test", QA8)
    cache = str(tmp_path / "cache")
    stories = load_parquet_stories(path, cache)
    assert stories == [
        babi.BabiStory(s.index, s.lines, f"{path}: row {s.index}") for s in parse_stories(QA8.splitlines())
    ]
    data = open_data(root)
    assert isinstance(data, ParquetData) and not data.remote
    data.cache_dir = cache
    got = [
        p
        for t in (2, 8)
        for s in data.stories("en", t, "test")
        for p in story_problems(s, variant="en", task=t, split="test")
    ]
    assert dicts(got) == dicts(load("test", data_path=archive, tasks=[2, 8], questions="all", test_fraction=1.0))
    for task, split in ((1, "test"), (2, "train")):
        with pytest.raises(DataNotFoundError, match=f"qa{task}.*'en'.*'{split}'"):
            data.stories("en", task, split)


def test_rows_with_a_bad_schema_are_named() -> None:
    with pytest.raises(ValueError, match=r"hub: row 0: field 'story\.answer'"):
        babi.stories_from_rows([{"story": {"id": ["1"], "type": [0], "text": ["x"], "supporting_ids": [[]]}}], "hub")
    with pytest.raises(ValueError, match="row 1: field 'story' must be"):
        babi.stories_from_rows(
            [{"story": {"id": [], "type": [], "text": [], "supporting_ids": [], "answer": []}}, {"story": None}], "hub"
        )


def test_offline_without_local_data_says_how_to_point(monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest sets HF_HUB_OFFLINE=1.
    with pytest.raises(DataNotFoundError) as err:
        load_problems("babi", "test")
    msg = str(err.value)
    for part in (
        "TRACEBENCH_BABI_PATH",
        "TRACEBENCH_DATA_DIR",
        "data_path",
        "tasks_1-20_v1-2.tar.gz",
        "facebook/babi_qa",
    ):
        assert part in msg, part


def test_hub_is_used_only_without_local_data(monkeypatch: pytest.MonkeyPatch, archive: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "0")
    assert isinstance(open_data(archive), babi.ArchiveData)
    hub = open_data()
    assert isinstance(hub, ParquetData) and hub.remote
    assert (hub.root, hub.revision) == ("facebook/babi_qa", "refs/convert/parquet")
    seen: list[tuple[object, ...]] = []

    def unreachable(*args: object, **_: object) -> list[babi.BabiStory]:
        seen.append(args)
        raise ConnectionError("no route to host")

    monkeypatch.setattr(babi, "load_parquet_export", unreachable)
    with pytest.raises(DataNotFoundError) as err:
        load("test", tasks=1, variant="en-10k")
    assert seen == [("facebook/babi_qa", "en-10k-qa1", "test", "refs/convert/parquet", None)]
    assert "no route to host" in str(err.value) and "TRACEBENCH_BABI_PATH" in str(err.value)


# ------------------------------------------------------------------------------------------- real data

# Story counts of the real en test files (counted by test_default_selection_sizes from the data):
# 200 stories for tasks 1, 2, 7, 8, 12, 14; 250 for 15; 1,000 for 4 and 16; 125 for 17; 199 for 18.
REAL_TEST_STORIES = {1: 200, 2: 200, 4: 1000, 7: 200, 8: 200, 12: 200, 14: 200, 15: 250, 16: 1000, 17: 125, 18: 199}


@pytest.mark.shared_data
@needs_babi
def test_real_en_has_1000_questions_per_task_and_split() -> None:
    test = load("test", data_path=BABI_ARCHIVE, tasks="all", questions="all", test_fraction=1.0)
    assert Counter(p.meta["task"] for p in test) == {t: 1000 for t in range(1, 21)}
    train = load("train", data_path=BABI_ARCHIVE, tasks="all", questions="all")
    assert Counter(p.meta["task"] for p in train) == {t: 1000 for t in range(1, 21)}
    assert len({p.id for p in test + train}) == 40_000
    assert {p.label for p in test} == set(LABELS)


@pytest.mark.shared_data
@needs_babi
def test_default_selection_sizes() -> None:
    data = open_data(BABI_ARCHIVE)
    counts = {t: len(data.stories("en", t, "test")) for t in babi.STUDY_TASKS}
    assert counts == REAL_TEST_STORIES
    picked = load("test", data_path=BABI_ARCHIVE)
    # floor(0.1 * n): 200 -> 20, 250 -> 25, 1000 -> 100, 125 -> 12 (12.5), 199 -> 19 (19.9);
    # 6 * 20 + 25 + 2 * 100 + 12 + 19 = 376, the size of the study's test set.
    expected = {1: 20, 2: 20, 4: 100, 7: 20, 8: 20, 12: 20, 14: 20, 15: 25, 16: 100, 17: 12, 18: 19}
    assert Counter(p.meta["task"] for p in picked) == expected
    assert len(picked) == 376
    assert all(p.meta["question_index"] == 0 and p.meta["split"] == "test" for p in picked)
    assert [p.meta["task"] for p in picked] == sorted(p.meta["task"] for p in picked)


@pytest.mark.shared_data
@needs_babi
def test_first_problem_of_task_1() -> None:
    first = load("test", data_path=BABI_ARCHIVE, tasks=1, test_fraction=1.0)[0]
    # tasks_1-20_v1-2/en/qa1_single-supporting-fact_test.txt, lines 1-3:
    #   1 John travelled to the hallway. / 2 Mary journeyed to the bathroom. / 3 Where is John? <TAB>hallway<TAB>1
    assert first.id == "babi/en/qa1/test/s0/q0"
    assert first.source == "babi"
    assert first.context == ("John travelled to the hallway.", "Mary journeyed to the bathroom.")
    assert first.question == "Where is John?"
    assert first.steps == (
        Step.classification("single-supporting-fact", LABELS),
        Step.retrieval(("John travelled to the hallway.",)),
    )
    assert first.answers == ("hallway",)
    assert first.meta == {
        "category": "single-supporting-fact",
        "task": 1,
        "variant": "en",
        "split": "test",
        "story": 0,
        "question_index": 0,
        "answer_format": "text",
    }
    Problem.from_dict(first.to_dict())  # schema-valid


@pytest.mark.shared_data
@needs_babi
def test_real_gold_traces_round_trip_through_the_paper_style() -> None:
    # First question of every test story of all 20 tasks (lists, paths, apostrophes included).
    problems = load("test", data_path=BABI_ARCHIVE, tasks="all", test_fraction=1.0)
    assert {p.meta["task"] for p in problems} == set(range(1, 21))
    for p in problems:
        metrics = score_sample(p, render(p)).metrics
        assert metrics["trace_acc"] == 1.0 and metrics["answer_acc"] == 1.0, p.id


@pytest.mark.shared_data
@needs_babi
def test_real_en_10k_qa3_train_is_missing() -> None:
    with pytest.raises(DataNotFoundError) as err:
        load("train", data_path=BABI_ARCHIVE, variant="en-10k", tasks=3)
    msg = str(err.value)
    for part in ("qa3", "three-supporting-facts", "'en-10k'", "'train'", "en-10k/qa3_three-supporting-facts_train.txt"):
        assert part in msg
    assert str(BABI_ARCHIVE) in msg


@pytest.mark.shared_data
@needs_babi
def test_real_extracted_folder_matches_archive(tmp_path: Path) -> None:
    with tarfile.open(BABI_ARCHIVE) as tar:
        members = [m for m in tar.getmembers() if "/en/" in m.name or m.name.endswith("/en")]
        tar.extractall(tmp_path, members=members, filter="data")
    from_folder = load("test", data_path=tmp_path / "tasks_1-20_v1-2")
    assert dicts(from_folder) == dicts(load("test", data_path=BABI_ARCHIVE))
    assert dicts(load("test", data_path=tmp_path)) == dicts(from_folder)


@pytest.mark.shared_data
@needs_babi
@needs_paper_outputs
def test_study_generations_match_iter_all() -> None:
    index: dict[tuple[tuple[str, ...], str], list[Problem]] = defaultdict(list)
    for p in babi.iter_all(data_path=BABI_ARCHIVE):
        index[(p.context, p.question)].append(p)
    files = sorted(PAPER_OUTPUTS.glob("*.jsonl"))
    ambiguous: set[str] = set()
    assert len(files) == 6
    for file in files:
        rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(rows) == 376
        for row in rows:
            key = (tuple(ast.literal_eval(row["passage"])), row["question"].strip())
            matches = index[key]
            assert matches, f"{file.name}: no problem for {row['question']!r}"
            # Restricted to the study's kind of problem (test file, first question), the gold is unique and equal.
            study = [p for p in matches if p.meta["split"] == "test" and p.meta["question_index"] == 0]
            assert {(p.label, p.facts, p.target_answer()) for p in study} == {
                (row["query_type"], tuple(ast.literal_eval(row["answer_passage"])), row["gold"])
            }
            if len({p.facts for p in matches}) > 1:
                ambiguous.add(row["question"] + row["passage"])
    # One problem of the 376 shares (context, question) with later questions of its story whose bAbI
    # supporting ids differ (qa18 test story 104: questions 0, 1 and 3 are the same question).
    assert len(ambiguous) == 1
