"""A procedural CoTempQA-style timeline (source ``synth_timeline``): who held what, when.

No files, no network: every Problem is generated from a seed, with its gold label and gold facts known by
construction. Facts use CoTempQA's sentence templates, so the CoTempQA answer metric
(:mod:`tracebench.sources.cotempqa_metric`) reads them exactly as it reads the real dataset.

The timeline:
    One person (an invented name) holds positions, party memberships, employers, schools and teams over
    year intervals; other people (``other_people`` knob) have facts too. Each fact is a sentence in
    CoTempQA's form: ``"<person> holds the position of <x> from <y1> to <y2>."`` (``is a member of the``,
    ``works for``, ``attended``, ``plays for``), or ``in <y>.`` for a one-year fact (``point_facts`` knob).
    Intervals are whole years, both ends included.

A question names an anchor fact of the person ("While Ann Koval was holding the position of mayor, ...")
and asks what the person held within the same time interval, in one of two CoTempQA shapes
(``meta["triple_element"]``):

* ``S1_R1_O2``: the same relation ("... which position did Ann Koval hold at the same time?");
* ``S1_R2_O2``: another relation ("... which political party did Ann Koval belong to at the same time?").

The gold label is the co-temporal relation between the anchor and the answers (CoTempQA's categories):

* ``equal``: every answer's interval equals the anchor's;
* ``overlap``: every answer's interval overlaps the anchor's partly (each has years the other lacks);
* ``during``: every answer's interval lies inside the anchor's or contains it (not equal);
* ``mix``: two or more answers whose relations to the anchor are not all the same kind.

``equal``/``overlap``/``during`` problems have ``answers`` answers (knob, default 1); ``mix`` problems have
``mix_answers`` (default 2). Every other fact of the asked relation, and every other fact of the anchor's
person, is at least one clear year away from the anchor interval (so the answer set is exactly the gold
set); other people's facts may fall anywhere. Gold facts = the answer facts (the study's rule: the facts that
state an answer), in context order; the anchor fact is not gold (as in CoTempQA). Facts are shuffled
(``shuffle`` knob).

Selection (:func:`load`): ``size`` problems (default 200 for ``test``, 1,000 for ``train``); problem ``i`` has
relation ``relations[i % len(relations)]`` (balanced) and is drawn from
``random.Random(f"tracebench/synth_timeline/{split}/{seed}/{i}")`` only: same options, same bytes; a smaller
``size`` is a prefix of a larger one.

Example (``load("test")[0]``, default options; pinned by the tests)::

    Problem(id="synth_timeline/test/00000", source="synth_timeline",
            context=("Farid Weiss is a member of the Green Party from 1948 to 1952.",
                     "Hugo Okafor holds the position of mayor from 1962 to 1965.",
                     "Farid Weiss is a member of the Reform Movement in 1977.",
                     "Farid Weiss plays for Athletic Club Norte from 1961 to 1973.",
                     "Farid Weiss plays for Rovers FC from 1980 to 1985.",
                     "Farid Weiss is a member of the Civic Forum from 1978 to 1982.",
                     "Carla Varga works for Lumen Hospital from 1958 to 1960.",
                     "Farid Weiss attended Saint Clement College in 1983.",
                     "Farid Weiss plays for Valley Rangers from 1982 to 1984.",
                     "Farid Weiss holds the position of senator from 1961 to 1973."),
            question="While Farid Weiss was playing for Athletic Club Norte, which position did Farid Weiss hold "
                     "simultaneously?",
            steps=(Step.classification("equal", LABELS),
                   Step.retrieval(("Farid Weiss holds the position of senator from 1961 to 1973.",))),
            answers=("senator",),
            meta={"category": "equal", "triple_element": "S1_R2_O2", "split": "test", "index": 0, "seed": 2505,
                  "phrasing": "cotempqa", "answer_scorer": "cotempqa", "answer_format": "set",
                  "answer_sep": ", ", "anchor": [1961, 1973]})

(Hugo Okafor and Carla Varga are the other people: their facts never answer the question.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tracebench.problem import Problem, Step
from tracebench.sources.base import SourceSpec, option_list, register_source
from tracebench.sources.cotempqa import fact_frame_answer
from tracebench.sources.synth import Generator

SOURCE = "synth_timeline"
LABELS: tuple[str, ...] = ("equal", "overlap", "during", "mix")
SHAPES: tuple[str, ...] = ("S1_R1_O2", "S1_R2_O2")
DEFAULT_SEED = 2505
MAX_ATTEMPTS = 200

FIRST_NAMES = (
    "Ann", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca",
    "Maren", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Tara", "Umar",
)  # fmt: skip
LAST_NAMES = (
    "Koval", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Romano", "Sato", "Tanaka",
    "Urbina", "Varga", "Weiss", "Yilmaz", "Zeller", "Abara", "Brandt", "Castell",
)  # fmt: skip


@dataclass(frozen=True)
class Relation:
    """One kind of fact.

    Attributes:
        name: Short name.
        fact: Sentence template with ``{s}`` and ``{o}`` (the time part is appended).
        anchor: Question clause for an anchor fact (``"was holding the position of {o}"``).
        ask: Question clause asking for objects (``"which position did {s} hold"``).
        objects: The pool of object names.
    """

    name: str
    fact: str
    anchor: str
    ask: str
    objects: tuple[str, ...]


RELATIONS: tuple[Relation, ...] = (
    Relation(
        "position",
        "{s} holds the position of {o}",
        "was holding the position of {o}",
        "which position did {s} hold",
        (
            "mayor",
            "treasurer",
            "city councillor",
            "ambassador",
            "judge",
            "senator",
            "minister of finance",
            "governor",
            "state secretary",
            "chief justice",
            "consul",
            "speaker of the assembly",
        ),
    ),  # fmt: skip
    Relation(
        "party",
        "{s} is a member of the {o}",
        "was a member of {o}",
        "which political party did {s} belong to",
        (
            "Green Party",
            "Liberal Union",
            "Farmers' League",
            "Social Alliance",
            "Civic Forum",
            "Labour Front",
            "Unity Party",
            "Reform Movement",
            "People's Party",
            "Centre Coalition",
        ),
    ),  # fmt: skip
    Relation(
        "employer",
        "{s} works for {o}",
        "was working for {o}",
        "which employer did {s} work for",
        (
            "Northwind Bank",
            "Harbor Press",
            "Aster Institute",
            "Delta Mining",
            "Orion Labs",
            "Cobalt Rail",
            "Lumen Hospital",
            "Meridian Insurance",
            "Granite Works",
            "Pioneer Radio",
        ),
    ),  # fmt: skip
    Relation(
        "school",
        "{s} attended {o}",
        "attended {o}",
        "which school did {s} attend",
        (
            "Westfield College",
            "Riverside Academy",
            "Kingsbridge University",
            "Hollow Oak School",
            "Eastgate Polytechnic",
            "Saint Clement College",
            "Northgate University",
            "Lakeside Conservatory",
        ),
    ),  # fmt: skip
    Relation(
        "team",
        "{s} plays for {o}",
        "was playing for {o}",
        "which team did {s} play for",
        (
            "Rovers FC",
            "Harbor United",
            "Red Falcons",
            "Iron Wolves",
            "Athletic Club Norte",
            "Valley Rangers",
            "Blue Comets",
            "Real Sierra",
        ),
    ),  # fmt: skip
)
TIME_PHRASES = ("within the same time interval", "at the same time", "during the same time period", "simultaneously")

Interval = tuple[int, int]


@dataclass(frozen=True)
class TimelineConfig:
    """The difficulty knobs.

    Attributes:
        facts: Facts about the asked person, answers and anchor included (at least answers + 2).
        other_people: Facts about other people (noise that never answers the question).
        answers: Answers of ``equal``/``overlap``/``during`` problems.
        mix_answers: Answers of ``mix`` problems (at least 2).
        point_facts: Probability that a non-anchor fact is a one-year fact (``in <year>``).
        shapes: Question shapes drawn uniformly (``S1_R1_O2``, ``S1_R2_O2``).
        relations: Relation labels, in turn.
        shuffle: Shuffle the facts (else: anchor, answers, then the rest).
    """

    facts: int = 8
    other_people: int = 2
    answers: int = 1
    mix_answers: int = 2
    point_facts: float = 0.25
    shapes: tuple[str, ...] = SHAPES
    relations: tuple[str, ...] = LABELS
    shuffle: bool = True

    def __post_init__(self) -> None:
        most = max(self.answers, self.mix_answers)
        checks = [
            (1 <= self.answers <= 4, f"answers must be in 1..4, got {self.answers}"),
            (2 <= self.mix_answers <= 4, f"mix_answers must be in 2..4, got {self.mix_answers}"),
            (most + 2 <= self.facts <= 20, f"facts must be in {most + 2}..20, got {self.facts}"),
            (0 <= self.other_people <= 10, f"other_people must be in 0..10, got {self.other_people}"),
            (0.0 <= self.point_facts <= 1.0, f"point_facts must be in [0, 1], got {self.point_facts}"),
            (bool(self.shapes) and all(s in SHAPES for s in self.shapes), f"shapes must be some of {SHAPES}"),
            (bool(self.relations) and all(r in LABELS for r in self.relations), f"relations must be some of {LABELS}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"synth_timeline: {message}")


def classify(anchor: Interval, other: Interval) -> str | None:
    """The co-temporal relation of ``other`` to ``anchor``.

    Returns:
        ``"equal"``, ``"during"`` (one inside the other), ``"overlap"`` (partly shared) or ``None`` (disjoint).
    """
    (a, b), (c, d) = anchor, other
    if d < a or c > b:
        return None
    if (a, b) == (c, d):
        return "equal"
    if (a <= c and d <= b) or (c <= a and b <= d):
        return "during"
    return "overlap"


def render_fact(relation: Relation, subject: str, obj: str, span: Interval) -> str:
    """One CoTempQA-style fact sentence."""
    when = f"in {span[0]}" if span[0] == span[1] else f"from {span[0]} to {span[1]}"
    return f"{relation.fact.format(s=subject, o=obj)} {when}."


def _answer_span(rng: random.Random, anchor: Interval, kind: str, point: bool) -> Interval:
    a, b = anchor
    if kind == "equal":
        return anchor
    if kind == "during":
        if point or rng.random() < 0.5:  # inside the anchor (a one-year fact is always inside)
            while True:
                c = rng.randint(a, b)
                d = c if point else rng.randint(c, b)
                if (c, d) != (a, b):
                    return c, d
        return a - rng.randint(1, 6), b + rng.randint(0, 6)  # contains the anchor
    # overlap: starts before and ends inside, or starts inside and ends after
    if rng.random() < 0.5:
        return a - rng.randint(1, 6), rng.randint(a, b - 1)
    return rng.randint(a + 1, b), b + rng.randint(1, 6)


def _away_span(rng: random.Random, anchor: Interval, point: bool) -> Interval:
    """An interval at least one clear year before or after the anchor."""
    a, b = anchor
    length = 0 if point else rng.randint(1, 8)
    if rng.random() < 0.5:
        end = a - 2 - rng.randint(0, 15)
        return end - length, end
    start = b + 2 + rng.randint(0, 15)
    return start, start + length


def _kinds(rng: random.Random, label: str, config: TimelineConfig) -> list[str]:
    if label != "mix":
        return [label] * config.answers
    while True:
        kinds = [rng.choice(("equal", "overlap", "during")) for _ in range(config.mix_answers)]
        if len(set(kinds)) > 1:
            return kinds


def generate_problem(split: str, index: int, seed: int, config: TimelineConfig) -> Problem:
    """Generate problem ``index`` of ``split`` from its own random stream (see the module docstring)."""
    rng = random.Random(f"tracebench/{SOURCE}/{split}/{seed}/{index}")
    label = config.relations[index % len(config.relations)]
    shape = rng.choice(config.shapes)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    person = f"{first} {last}"
    anchor_rel = rng.choice(RELATIONS)
    asked_rel = anchor_rel if shape == "S1_R1_O2" else rng.choice([r for r in RELATIONS if r is not anchor_rel])
    start = rng.randint(1900, 2000)
    anchor: Interval = (start, start + rng.randint(4, 12))
    used: dict[str, set[str]] = {r.name: set() for r in RELATIONS}

    def pick(rel: Relation) -> str:
        obj = rng.choice([o for o in rel.objects if o not in used[rel.name]])
        used[rel.name].add(obj)
        return obj

    anchor_obj = pick(anchor_rel)
    # (sentence, role, object): roles "anchor", "answer", "other" (same person, away from the anchor), "noise".
    facts: list[tuple[str, str, str]] = [(render_fact(anchor_rel, person, anchor_obj, anchor), "anchor", anchor_obj)]
    for kind in _kinds(rng, label, config):
        obj = pick(asked_rel)
        span = _answer_span(rng, anchor, kind, rng.random() < config.point_facts)
        if classify(anchor, span) != kind:  # pragma: no cover - guarded by the construction above
            raise AssertionError(f"{SOURCE}: {span} is not {kind} of {anchor}")
        facts.append((render_fact(asked_rel, person, obj, span), "answer", obj))
    for _ in range(config.facts - len(facts)):
        rel = rng.choice([r for r in RELATIONS if len(used[r.name]) < len(r.objects)])
        span = _away_span(rng, anchor, rng.random() < config.point_facts)
        obj = pick(rel)
        facts.append((render_fact(rel, person, obj, span), "other", obj))
    for _ in range(config.other_people):
        other = f"{rng.choice([n for n in FIRST_NAMES if n != first])} {rng.choice(LAST_NAMES)}"
        rel = rng.choice(RELATIONS)
        s0 = rng.randint(anchor[0] - 10, anchor[1] + 5)
        span = (s0, s0 if rng.random() < config.point_facts else s0 + rng.randint(1, 8))
        obj = rng.choice(rel.objects)
        facts.append((render_fact(rel, other, obj, span), "noise", obj))
    if config.shuffle:
        rng.shuffle(facts)
    context = tuple(f for f, _, _ in facts)
    gold = tuple(f for f, role, _ in facts if role == "answer")
    ordered = tuple(o for _, role, o in facts if role == "answer")
    question = (
        f"While {person} {anchor_rel.anchor.format(o=anchor_obj)}, "
        f"{asked_rel.ask.format(s=person)} {rng.choice(TIME_PHRASES)}?"
    )
    return Problem(
        id=f"{SOURCE}/{split}/{index:05d}",
        source=SOURCE,
        context=context,
        question=question,
        steps=(Step.classification(label, LABELS), Step.retrieval(gold)),
        answers=ordered,
        meta={
            "category": label,
            "triple_element": shape,
            "split": split,
            "index": index,
            "seed": seed,
            "phrasing": "cotempqa",
            "answer_scorer": "cotempqa",
            "answer_format": "set",
            "answer_sep": ", ",
            "anchor": [anchor[0], anchor[1]],
        },
    )


_KNOBS = ("facts", "other_people", "answers", "mix_answers", "point_facts", "shapes", "relations", "shuffle")


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def make_config(**knobs: Any) -> TimelineConfig:
    """Build a :class:`TimelineConfig` from options (strings, as lm-eval metadata passes them, are accepted)."""
    base = TimelineConfig()
    return TimelineConfig(
        facts=int(knobs.get("facts", base.facts)),
        other_people=int(knobs.get("other_people", base.other_people)),
        answers=int(knobs.get("answers", base.answers)),
        mix_answers=int(knobs.get("mix_answers", base.mix_answers)),
        point_facts=float(knobs.get("point_facts", base.point_facts)),
        shapes=option_list(knobs.get("shapes"), SHAPES),
        relations=option_list(knobs.get("relations", knobs.get("categories")), LABELS),
        shuffle=_bool(knobs.get("shuffle", base.shuffle)),
    )


GENERATOR = Generator(
    SOURCE,
    generate_problem,
    make_config,
    frozenset((*_KNOBS, "categories")),
)


load, iter_all = GENERATOR.loaders(DEFAULT_SEED)
"""The source's ``load`` and ``iter_all``; their options are the knobs of :class:`TimelineConfig`."""


SPEC = register_source(
    SourceSpec(
        name=SOURCE,
        labels=LABELS,
        load=load,
        iter_all=iter_all,
        description="procedural CoTempQA-style timelines, label = co-temporal relation, facts = the answer facts",
        env_var="",
        categories=LABELS,
        option_types={
            "allow_large": bool,
            "facts": int,
            "other_people": int,
            "answers": int,
            "mix_answers": int,
            "point_facts": float,
            "shapes": str,
            "relations": str,
            "categories": str,
            "shuffle": bool,
        },
        implied_answer=fact_frame_answer,
    )
)
