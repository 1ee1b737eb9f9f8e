"""A procedural bAbI-style world (source ``synth_world``): people move, pick up and drop objects.

No files, no network: every Problem is generated from a seed, with its gold label and gold supporting facts
known by construction (the generator tracks the world state while it writes the story). It is the embedded
default source of tracebench's main job.

The world:
    ``people`` active people (bAbI names: Mary, John, Daniel, Sandra, ...) move between ``rooms`` rooms
    (bathroom, bedroom, garden, hallway, kitchen, office, ...), pick up and drop ``objects`` objects (apple,
    football, milk, ...). A story has ``story_length`` event sentences by the active people plus
    ``distractors`` sentences in which bystanders (other names, never asked about, never touching an object)
    move; the distractors are irrelevant to every question by construction. People start nowhere (their room
    is known once they have moved); an object that was never touched can be picked up wherever someone
    stands; a dropped object stays in its room and only someone standing there can pick it up; a move always
    goes to another room. Sentences use bAbI's verbs ("went to", "journeyed to", ...; "got the milk there",
    "picked up", ...; "dropped the milk", "put down", "discarded", "left").

Question types (the gold label; names parallel bAbI's tasks 1, 2, 3, 7 and 6) and their gold facts, which
mirror bAbI's conventions (facts are listed in context order):

* ``single-supporting-fact``: "Where is P?" -> P's room. Facts: P's last move.
* ``two-supporting-facts``: "Where is the O?" -> O's room. If P holds O: the sentence in which P took O and
  P's last move. If P dropped O: the drop sentence and P's last move before it.
* ``three-supporting-facts``: "Where was the O before the L?" -> the room O was in before L, for an object
  picked up exactly once (by P), L a room it was carried into exactly once. Facts: the sentence in which P
  took O, P's move to the room before L, P's move to L.
* ``counting``: "How many objects is P carrying?" -> ``none``, ``one``, ``two``, ... Facts: every sentence in
  which P took or dropped an object (asked only of people who did at least once).
* ``yes-no-questions``: "Is P in the R?" -> ``yes`` / ``no`` (half and half). Facts: P's last move.

The question is asked about the world at the end of the story; a story without an answerable question of
the wanted type is discarded and another is drawn from the same random stream.

Selection (:func:`load`): ``size`` problems (default: 200 for ``test``, 1,000 for ``train``), the question
types in turn (problem ``i`` has type ``question_types[i % len(question_types)]``, so the types are balanced).
Problem ``i`` of a split is drawn from ``random.Random(f"tracebench/synth_world/{split}/{seed}/{i}")`` only:
train and test come from different derived seeds, the same options give identical problems, byte for byte,
and a smaller ``size`` is a prefix of a larger one.

Example (``load("test")[2]``, default options; pinned by the tests, so a generator change is noticed)::

    Problem(id="synth_world/test/00002", source="synth_world",
            context=("Mary went back to the bedroom.", "Jeff went to the office.", "Jeff grabbed the box there.",
                     "John journeyed to the office.", "John journeyed to the library.",
                     "Julius went back to the garden.", "John got the hat there.", "Bernhard journeyed to the attic.",
                     "Jeff discarded the box.", "John moved to the office.", "Jeff went to the bedroom.",
                     "Julius moved to the attic."),
            question="Where was the hat before the office?",
            steps=(Step.classification("three-supporting-facts", LABELS),
                   Step.retrieval(("John journeyed to the library.", "John got the hat there.",
                                   "John moved to the office."))),
            answers=("library",),
            meta={"category": "three-supporting-facts", "split": "test", "index": 2, "seed": 2505,
                  "answer_format": "text", "num_facts": 3})

(Julius and Bernhard are the bystanders of that story: their two moves are the distractors.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tracebench.problem import Problem, Step
from tracebench.sources.base import SourceSpec, option_list, register_source
from tracebench.sources.synth import Generator

SOURCE = "synth_world"
QUESTION_TYPES: tuple[str, ...] = (
    "single-supporting-fact",
    "two-supporting-facts",
    "three-supporting-facts",
    "counting",
    "yes-no-questions",
)
"""The question types, which are also the closed label set."""
LABELS = QUESTION_TYPES

PEOPLE: tuple[str, ...] = (
    "Mary",
    "John",
    "Daniel",
    "Sandra",
    "Bill",
    "Fred",
    "Julie",
    "Jeff",
    "Emily",
    "Winona",
    "Gertrude",
    "Greg",
    "Lily",
    "Brian",
    "Julius",
    "Bernhard",
)
ROOMS: tuple[str, ...] = (
    "bathroom",
    "bedroom",
    "garden",
    "hallway",
    "kitchen",
    "office",
    "cellar",
    "attic",
    "cinema",
    "park",
    "school",
    "library",
)
OBJECTS: tuple[str, ...] = ("apple", "football", "milk", "book", "ball", "key", "box", "cup", "pen", "hat")
MOVE_VERBS: tuple[str, ...] = ("went to", "journeyed to", "travelled to", "moved to", "went back to")
TAKE_VERBS: tuple[str, ...] = ("got", "picked up", "grabbed", "took")
DROP_VERBS: tuple[str, ...] = ("dropped", "put down", "discarded", "left")
NUMBER_WORDS: tuple[str, ...] = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

DEFAULT_SEED = 2505
MAX_BYSTANDERS = 2
MAX_ATTEMPTS = 1000


MAX_STORY = 1000
"""Ceiling of ``story_length`` and ``distractors`` (sentences per story)."""


@dataclass(frozen=True)
class WorldConfig:
    """The difficulty knobs.

    Attributes:
        story_length: Event sentences by the active people.
        distractors: Extra sentences by bystanders (irrelevant to every question).
        people: Active people.
        rooms: Rooms.
        objects: Objects.
        question_types: Question types to draw, in turn.
    """

    story_length: int = 10
    distractors: int = 2
    people: int = 4
    rooms: int = 6
    objects: int = 4
    question_types: tuple[str, ...] = QUESTION_TYPES

    def __post_init__(self) -> None:
        bystanders = min(self.distractors, MAX_BYSTANDERS)
        checks = [
            (
                1 <= self.story_length <= MAX_STORY,
                f"story_length must be in 1..{MAX_STORY}, got {self.story_length}",
            ),
            (
                0 <= self.distractors <= MAX_STORY,
                f"distractors must be in 0..{MAX_STORY}, got {self.distractors}",
            ),
            (
                1 <= self.people <= len(PEOPLE) - bystanders,
                f"people must be in 1..{len(PEOPLE) - bystanders}, got {self.people}",
            ),
            (2 <= self.rooms <= len(ROOMS), f"rooms must be in 2..{len(ROOMS)}, got {self.rooms}"),
            (1 <= self.objects <= len(OBJECTS), f"objects must be in 1..{len(OBJECTS)}, got {self.objects}"),
            (len(self.question_types) > 0, "question_types must not be empty"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"synth_world: {message}")
        unknown = [q for q in self.question_types if q not in QUESTION_TYPES]
        if unknown:
            raise ValueError(f"synth_world: unknown question type(s) {unknown}; known: {QUESTION_TYPES}")


@dataclass(frozen=True)
class Question:
    """A generated question with its gold answer and gold fact positions (sentence indices)."""

    kind: str
    text: str
    answer: str
    facts: tuple[int, ...]


@dataclass
class _Carry:
    """One object's trip with its only carrier: rooms it was in, each with the move that put it there."""

    person: str
    take: int
    rooms: list[tuple[str, int]] = field(default_factory=list)
    open: bool = True


@dataclass
class World:
    """The world state while a story is written; sentences are indexed in story order."""

    sentences: list[str] = field(default_factory=list)
    location: dict[str, tuple[str, int]] = field(default_factory=dict)  # person -> (room, move sentence)
    holding: dict[str, list[str]] = field(default_factory=dict)  # person -> objects, in take order
    holder: dict[str, str] = field(default_factory=dict)  # object -> person holding it
    placed: dict[str, str] = field(default_factory=dict)  # dropped object -> room
    last_event: dict[str, tuple[str, str, int, int]] = field(default_factory=dict)  # obj -> (kind, who, sent, move)
    takes: dict[str, int] = field(default_factory=dict)  # object -> number of takes
    carry: dict[str, _Carry] = field(default_factory=dict)  # object -> its first (only, if takes == 1) trip
    object_events: dict[str, list[int]] = field(default_factory=dict)  # person -> take/drop sentences

    def move(self, person: str, room: str, verb: str) -> None:
        """``person`` goes to ``room``."""
        i = self._say(f"{person} {verb} the {room}.")
        self.location[person] = (room, i)
        for obj in self.holding.get(person, ()):
            trip = self.carry.get(obj)
            if trip is not None and trip.open and trip.person == person:
                trip.rooms.append((room, i))

    def take(self, person: str, obj: str, verb: str) -> None:
        """``person`` picks up ``obj`` where they stand."""
        i = self._say(f"{person} {verb} the {obj} there.")
        room, move = self.location[person]
        self.holding.setdefault(person, []).append(obj)
        self.holder[obj] = person
        self.placed.pop(obj, None)
        self.last_event[obj] = ("take", person, i, move)
        self.takes[obj] = self.takes.get(obj, 0) + 1
        if obj not in self.carry:
            self.carry[obj] = _Carry(person, i, [(room, move)])
        else:
            self.carry[obj].open = False
        self.object_events.setdefault(person, []).append(i)

    def drop(self, person: str, obj: str, verb: str) -> None:
        """``person`` drops ``obj`` where they stand."""
        i = self._say(f"{person} {verb} the {obj}.")
        room, move = self.location[person]
        self.holding[person].remove(obj)
        del self.holder[obj]
        self.placed[obj] = room
        self.last_event[obj] = ("drop", person, i, move)
        self.carry[obj].open = False
        self.object_events.setdefault(person, []).append(i)

    def _say(self, sentence: str) -> int:
        self.sentences.append(sentence)
        return len(self.sentences) - 1


def _event(
    rng: random.Random, world: World, people: Sequence[str], rooms: Sequence[str], objects: Sequence[str]
) -> None:
    """Add one event by an active person."""
    person = rng.choice(people)
    here = world.location.get(person)
    actions = ["move"]
    takeable: list[str] = []
    if here is not None:
        takeable = [o for o in objects if o not in world.holder and world.placed.get(o, here[0]) == here[0]]
        if takeable:
            actions += ["take", "take"]
        if world.holding.get(person):
            actions.append("drop")
    action = rng.choice(actions)
    if action == "move":
        room = rng.choice([r for r in rooms if here is None or r != here[0]])
        world.move(person, room, rng.choice(MOVE_VERBS))
    elif action == "take":
        world.take(person, rng.choice(takeable), rng.choice(TAKE_VERBS))
    else:
        world.drop(person, rng.choice(world.holding[person]), rng.choice(DROP_VERBS))


def write_story(rng: random.Random, config: WorldConfig) -> tuple[World, list[str], list[str]]:
    """Write one story: ``story_length`` events by active people, ``distractors`` bystander moves mixed in.

    Returns:
        The final world, the active people and the rooms used.
    """
    names = rng.sample(PEOPLE, config.people + min(config.distractors, MAX_BYSTANDERS))
    people, bystanders = names[: config.people], names[config.people :]
    rooms = rng.sample(ROOMS, config.rooms)
    objects = rng.sample(OBJECTS, config.objects)
    total = config.story_length + config.distractors
    distractor_slots = set(rng.sample(range(total), config.distractors))
    world = World()
    where: dict[str, str] = {}
    for slot in range(total):
        if slot in distractor_slots:
            who = rng.choice(bystanders)
            room = rng.choice([r for r in rooms if r != where.get(who)])
            where[who] = room
            world._say(f"{who} {rng.choice(MOVE_VERBS)} the {room}.")
        else:
            _event(rng, world, people, rooms, objects)
    return world, people, rooms


def candidate_questions(world: World, people: Sequence[str], rooms: Sequence[str], kind: str) -> list[Question]:
    """Every answerable question of type ``kind`` about the world at the end of the story.

    ``yes-no-questions`` gives, per located person, one ``yes`` question and one ``no`` question per other
    room; :func:`pick_question` balances the two answers.
    """
    out: list[Question] = []
    if kind in ("single-supporting-fact", "yes-no-questions"):
        for person in people:
            if person not in world.location:
                continue
            room, move = world.location[person]
            if kind == "single-supporting-fact":
                out.append(Question(kind, f"Where is {person}?", room, (move,)))
            else:
                for r in rooms:
                    out.append(Question(kind, f"Is {person} in the {r}?", "yes" if r == room else "no", (move,)))
    elif kind == "two-supporting-facts":
        for obj, (event, person, sentence, move) in sorted(world.last_event.items()):
            if event == "take":
                room, last_move = world.location[person]
                facts = (sentence, last_move)
            else:
                room = world.placed[obj]
                facts = (sentence, move)
            out.append(Question(kind, f"Where is the {obj}?", room, tuple(sorted(facts))))
    elif kind == "three-supporting-facts":
        for obj, trip in sorted(world.carry.items()):
            if world.takes.get(obj) != 1:
                continue
            names = [r for r, _ in trip.rooms]
            for i in range(1, len(trip.rooms)):
                room, move = trip.rooms[i]
                if names.count(room) != 1:
                    continue
                before, before_move = trip.rooms[i - 1]
                three = tuple(sorted((trip.take, before_move, move)))
                out.append(Question(kind, f"Where was the {obj} before the {room}?", before, three))
    elif kind == "counting":
        for person in people:
            events = world.object_events.get(person)
            if events:
                count = NUMBER_WORDS[len(world.holding.get(person, ()))]
                out.append(Question(kind, f"How many objects is {person} carrying?", count, tuple(events)))
    else:
        raise ValueError(f"unknown question type {kind!r}; known: {QUESTION_TYPES}")
    return out


def pick_question(rng: random.Random, candidates: Sequence[Question]) -> Question | None:
    """Pick one candidate (yes-no: ``yes`` or ``no`` first, each with probability 1/2, when both exist)."""
    if not candidates:
        return None
    if candidates[0].kind == "yes-no-questions":
        yes = [q for q in candidates if q.answer == "yes"]
        no = [q for q in candidates if q.answer == "no"]
        pool = yes if (rng.random() < 0.5 and yes) or not no else no
        return rng.choice(pool)
    return rng.choice(list(candidates))


def generate_problem(split: str, index: int, seed: int, config: WorldConfig) -> Problem:
    """Generate problem ``index`` of ``split`` (its own random stream; see the module docstring).

    Raises:
        ValueError: No answerable question of the wanted type in :data:`MAX_ATTEMPTS` stories (knobs too small).
    """
    rng = random.Random(f"tracebench/synth_world/{split}/{seed}/{index}")
    kind = config.question_types[index % len(config.question_types)]
    for _ in range(MAX_ATTEMPTS):
        world, people, rooms = write_story(rng, config)
        question = pick_question(rng, candidate_questions(world, people, rooms, kind))
        if question is not None:
            break
    else:
        raise ValueError(
            f"synth_world: no answerable {kind!r} question in {MAX_ATTEMPTS} stories with {config}; "
            "raise story_length (three-supporting-facts needs a take and two moves)"
        )
    context = tuple(world.sentences)
    return Problem(
        id=f"{SOURCE}/{split}/{index:05d}",
        source=SOURCE,
        context=context,
        question=question.text,
        steps=(Step.classification(kind, LABELS), Step.retrieval(context[i] for i in question.facts)),
        answers=(question.answer,),
        meta={
            "category": kind,
            "split": split,
            "index": index,
            "seed": seed,
            "answer_format": "text",
            "num_facts": len(question.facts),
        },
    )


def make_config(
    story_length: int = 10,
    distractors: int = 2,
    people: int = 4,
    rooms: int = 6,
    objects: int = 4,
    question_types: Any = None,
) -> WorldConfig:
    """Build a :class:`WorldConfig` from options (strings, as lm-eval metadata passes them, are accepted)."""
    types: tuple[str, ...] = option_list(question_types, QUESTION_TYPES)
    return WorldConfig(
        story_length=int(story_length),
        distractors=int(distractors),
        people=int(people),
        rooms=int(rooms),
        objects=int(objects),
        question_types=types,
    )


GENERATOR = Generator(
    SOURCE,
    generate_problem,
    make_config,
    frozenset(("story_length", "distractors", "people", "rooms", "objects", "question_types")),
)


load, iter_all = GENERATOR.loaders(DEFAULT_SEED)
"""The source's ``load`` and ``iter_all``; their options are the knobs of :class:`WorldConfig`."""


SPEC = register_source(
    SourceSpec(
        name=SOURCE,
        labels=LABELS,
        load=load,
        iter_all=iter_all,
        description="procedural bAbI-style world (moves, objects), gold label and facts by construction",
        env_var="",
        categories=QUESTION_TYPES,
        option_types={
            "allow_large": bool,
            "story_length": int,
            "distractors": int,
            "people": int,
            "rooms": int,
            "objects": int,
            "question_types": str,
        },
    )
)
