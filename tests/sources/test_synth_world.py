"""The synthetic bAbI-style world: determinism, gold answers and facts re-derived independently, knobs."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tracebench.problem import Problem, Step
from tracebench.scoring import score_sample
from tracebench.sources import get_source, load_problems
from tracebench.sources.synth import world as sw
from tracebench.traces import render

# ------------------------------------------------------------------------------ an independent re-simulation

MOVE = re.compile(r"^(\w+) (?:went to|journeyed to|travelled to|moved to|went back to) the (\w+)\.$")
TAKE = re.compile(r"^(\w+) (?:got|picked up|grabbed|took) the (\w+) there\.$")
DROP = re.compile(r"^(\w+) (?:dropped|put down|discarded|left) the (\w+)\.$")
WORDS = ["none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass
class Replay:
    """The world state after reading a story's sentences, rebuilt from the text alone."""

    room: dict[str, tuple[str, int]] = field(default_factory=dict)  # person -> (room, move sentence)
    moves: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # person -> every (room, sentence)
    held: dict[str, str] = field(default_factory=dict)  # object -> holder
    at: dict[str, str] = field(default_factory=dict)  # dropped object -> room
    events: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # object -> (kind, person, sentence)
    person_events: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, context: tuple[str, ...]) -> Replay:
        r = cls()
        for i, s in enumerate(context):
            if m := MOVE.match(s):
                who, room = m.groups()
                assert r.room.get(who, ("", -1))[0] != room, f"sentence {i}: a move must change room: {s}"
                r.room[who] = (room, i)
                r.moves.setdefault(who, []).append((room, i))
            elif m := TAKE.match(s):
                who, obj = m.groups()
                assert who in r.room, f"sentence {i}: {who} takes without a known room"
                assert obj not in r.held, f"sentence {i}: {obj} is already held"
                assert r.at.get(obj, r.room[who][0]) == r.room[who][0], f"sentence {i}: {obj} is elsewhere"
                r.held[obj] = who
                r.at.pop(obj, None)
                r.events.setdefault(obj, []).append(("take", who, i))
                r.person_events.setdefault(who, []).append(i)
            elif m := DROP.match(s):
                who, obj = m.groups()
                assert r.held.get(obj) == who, f"sentence {i}: {who} drops {obj} without holding it"
                del r.held[obj]
                r.at[obj] = r.room[who][0]
                r.events.setdefault(obj, []).append(("drop", who, i))
                r.person_events.setdefault(who, []).append(i)
            else:
                raise AssertionError(f"sentence {i} is not a world sentence: {s!r}")
        return r

    def last_move_before(self, who: str, sentence: int) -> tuple[str, int]:
        return [m for m in self.moves[who] if m[1] < sentence][-1]

    def gold(self, question: str) -> tuple[str, set[int]]:
        """(answer, fact sentence indices) by the rules of the module docstring."""
        if m := re.fullmatch(r"Where is (\w+)\?", question):
            room, move = self.room[m.group(1)]
            return room, {move}
        if m := re.fullmatch(r"Is (\w+) in the (\w+)\?", question):
            room, move = self.room[m.group(1)]
            return ("yes" if room == m.group(2) else "no"), {move}
        if m := re.fullmatch(r"Where is the (\w+)\?", question):
            kind, who, i = self.events[m.group(1)][-1]
            if kind == "take":
                room, move = self.room[who]
            else:
                room, move = self.last_move_before(who, i)
            return room, {i, move}
        if m := re.fullmatch(r"Where was the (\w+) before the (\w+)\?", question):
            obj, target = m.groups()
            takes = [e for e in self.events[obj] if e[0] == "take"]
            assert len(takes) == 1, "asked only of objects taken once"
            _, who, t = takes[0]
            drops = [e[2] for e in self.events[obj] if e[0] == "drop"]
            end = drops[0] if drops else 10**9
            trip = [self.last_move_before(who, t)] + [mv for mv in self.moves[who] if t < mv[1] < end]
            rooms = [room for room, _ in trip]
            assert rooms.count(target) == 1 and rooms.index(target) >= 1
            k = rooms.index(target)
            return trip[k - 1][0], {t, trip[k - 1][1], trip[k][1]}
        if m := re.fullmatch(r"How many objects is (\w+) carrying\?", question):
            who = m.group(1)
            return WORDS[sum(1 for h in self.held.values() if h == who)], set(self.person_events[who])
        raise AssertionError(f"unknown question {question!r}")


def check_gold(p: Problem) -> None:
    replay = Replay.of(p.context)
    answer, facts = replay.gold(p.question)
    assert p.answers == (answer,), p.id
    assert p.facts == tuple(p.context[i] for i in sorted(facts)), p.id
    assert p.meta["num_facts"] == len(facts)


EXPECTED_FACTS = {
    "single-supporting-fact": 1,
    "two-supporting-facts": 2,
    "three-supporting-facts": 3,
    "yes-no-questions": 1,
}


def test_gold_answers_and_facts_match_an_independent_replay() -> None:
    problems = sw.load("test") + sw.load("train", size=500, story_length=16, distractors=4, people=5, objects=5)
    for p in problems:
        check_gold(p)
        if p.label in EXPECTED_FACTS:
            assert len(p.facts) == EXPECTED_FACTS[p.label]
        assert p.meta["category"] == p.label


def test_hand_written_story() -> None:
    w = sw.World()
    w.move("Mary", "kitchen", "went to")  # 0
    w.take("Mary", "milk", "got")  # 1
    w.move("John", "garden", "moved to")  # 2
    w.move("Mary", "hallway", "travelled to")  # 3
    w.drop("Mary", "milk", "dropped")  # 4
    w.move("Mary", "office", "went to")  # 5
    w.take("John", "apple", "grabbed")  # 6
    people, rooms = ["Mary", "John", "Sandra"], ["kitchen", "garden", "hallway", "office"]

    def q(kind: str) -> set[tuple[str, str, tuple[int, ...]]]:
        return {(c.text, c.answer, c.facts) for c in sw.candidate_questions(w, people, rooms, kind)}

    assert q("single-supporting-fact") == {("Where is Mary?", "office", (5,)), ("Where is John?", "garden", (2,))}
    # The milk was dropped in the hallway (drop 4 + Mary's move 3); John holds the apple (take 6 + move 2).
    assert q("two-supporting-facts") == {
        ("Where is the milk?", "hallway", (3, 4)),
        ("Where is the apple?", "garden", (2, 6)),
    }
    # The milk went kitchen -> hallway with Mary (take 1, moves 0 and 3); the apple never moved.
    assert q("three-supporting-facts") == {("Where was the milk before the hallway?", "kitchen", (0, 1, 3))}
    assert q("counting") == {
        ("How many objects is Mary carrying?", "none", (1, 4)),
        ("How many objects is John carrying?", "one", (6,)),
    }
    yes_no = q("yes-no-questions")
    assert ("Is Mary in the office?", "yes", (5,)) in yes_no and ("Is Mary in the kitchen?", "no", (5,)) in yes_no
    assert len(yes_no) == 2 * len(rooms)  # Sandra never moved: nothing is asked about her


def test_three_facts_need_a_single_take_and_a_unique_room() -> None:
    w = sw.World()
    w.move("Mary", "kitchen", "went to")  # 0
    w.take("Mary", "milk", "got")  # 1
    w.move("Mary", "hallway", "went to")  # 2
    w.move("Mary", "kitchen", "went to")  # 3: kitchen twice in the trip, only "before the hallway" is asked
    w.move("Mary", "garden", "went to")  # 4
    got = {
        (c.text, c.answer, c.facts) for c in sw.candidate_questions(w, ["Mary"], ["kitchen"], "three-supporting-facts")
    }
    assert got == {
        ("Where was the milk before the hallway?", "kitchen", (0, 1, 2)),
        ("Where was the milk before the garden?", "kitchen", (1, 3, 4)),
    }
    w.drop("Mary", "milk", "dropped")
    w.take("Mary", "milk", "took")  # a second take: the object is no longer asked about
    assert sw.candidate_questions(w, ["Mary"], ["kitchen"], "three-supporting-facts") == []


# ------------------------------------------------------------------------------------------ determinism


def as_bytes(problems: list[Problem]) -> bytes:
    return "\n".join(json.dumps(p.to_dict(), sort_keys=True) for p in problems).encode()


def test_same_seed_same_bytes_and_prefix() -> None:
    a = load_problems("synth_world", "test")
    assert as_bytes(a) == as_bytes(load_problems("synth_world", "test"))
    assert as_bytes(load_problems("synth_world", "test", size=50)) == as_bytes(a[:50])
    assert as_bytes(load_problems("synth_world", "test", seed=7)) != as_bytes(a)
    train = load_problems("synth_world", "train", size=200)
    assert {(p.context, p.question) for p in train}.isdisjoint({(p.context, p.question) for p in a})
    assert [p.id for p in a[:2]] == ["synth_world/test/00000", "synth_world/test/00001"]


def test_pinned_problem_of_the_docstring() -> None:
    # The module docstring's example; a change here changes the benchmark (bump the task version).
    p = sw.load("test", size=3)[2]
    assert p.id == "synth_world/test/00002"
    assert p.context == (
        "Mary went back to the bedroom.",
        "Jeff went to the office.",
        "Jeff grabbed the box there.",
        "John journeyed to the office.",
        "John journeyed to the library.",
        "Julius went back to the garden.",
        "John got the hat there.",
        "Bernhard journeyed to the attic.",
        "Jeff discarded the box.",
        "John moved to the office.",
        "Jeff went to the bedroom.",
        "Julius moved to the attic.",
    )
    assert p.question == "Where was the hat before the office?"
    assert p.steps == (
        Step.classification("three-supporting-facts", sw.LABELS),
        Step.retrieval(("John journeyed to the library.", "John got the hat there.", "John moved to the office.")),
    )
    assert p.answers == ("library",)
    assert p.meta == {
        "category": "three-supporting-facts",
        "split": "test",
        "index": 2,
        "seed": 2505,
        "answer_format": "text",
        "num_facts": 3,
    }


def test_default_sizes_and_balance() -> None:
    test = sw.load("test")
    assert len(test) == 200 and len(sw.load("train")) == 1000
    # 200 problems, 5 types in turn: 40 each.
    assert Counter(p.label for p in test) == {t: 40 for t in sw.QUESTION_TYPES}
    yes_no = Counter(p.answers[0] for p in sw.load("train") if p.label == "yes-no-questions")
    assert set(yes_no) == {"yes", "no"} and abs(yes_no["yes"] - yes_no["no"]) < 60  # 200 draws, p = 1/2
    spec = get_source("synth_world")
    assert spec.labels == sw.QUESTION_TYPES and spec.categories == sw.QUESTION_TYPES
    assert len(list(spec.iter_all(size=3))) == 6


# ----------------------------------------------------------------------------------------------- knobs


def names(p: Problem) -> set[str]:
    return {s.split()[0] for s in p.context}


def test_knobs() -> None:
    short = sw.load("test", size=25, story_length=6, distractors=0)
    assert {len(p.context) for p in short} == {6}
    noisy = sw.load("test", size=25, story_length=6, distractors=5)
    assert {len(p.context) for p in noisy} == {11}
    two_people = sw.load("test", size=25, people=2, distractors=0)
    assert all(len(names(p)) <= 2 for p in two_people)
    assert any(len(names(p)) > 2 for p in sw.load("test", size=25, people=2, distractors=3))  # bystanders
    word = re.compile(r"the (\w+)")
    small = sw.load("test", size=25, rooms=2, objects=1, distractors=0)
    for p in small:
        mentioned = {w for s in p.context for w in word.findall(s)}
        assert len(mentioned & set(sw.ROOMS)) <= 2 and len(mentioned & set(sw.OBJECTS)) <= 1
        check_gold(p)
    only = sw.load("test", size=10, question_types="counting, yes-no-questions")
    assert [p.label for p in only[:4]] == ["counting", "yes-no-questions"] * 2
    assert as_bytes(sw.load("test", size=5, story_length=20)) != as_bytes(sw.load("test", size=5))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"story_length": 0}, "story_length"),
        ({"rooms": 1}, "rooms"),
        ({"objects": 0}, "objects"),
        ({"people": 15}, "people"),
        ({"question_types": "two-facts"}, "unknown question type"),
        ({"story_length": 2, "question_types": "three-supporting-facts"}, "no answerable"),
    ],
)
def test_bad_knobs(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sw.load("test", size=1, **options)  # type: ignore[arg-type]


def test_unknown_split() -> None:
    with pytest.raises(ValueError, match="split"):
        sw.load("valid")


# ------------------------------------------------------------------------------------ the paper trace style


def test_rendered_gold_trace_scores_perfectly() -> None:
    for p in sw.load("test") + sw.load("train"):
        for profile in ("strict", "paper"):
            metrics = score_sample(p, render(p), profile=profile).metrics
            assert metrics["trace_acc"] == 1.0 and metrics["answer_acc"] == 1.0, (p.id, profile)
