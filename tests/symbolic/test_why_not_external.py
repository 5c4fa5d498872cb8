"""Why-not with external predicates: the walk sees exactly the facts of the call.

The facts of external predicates come with each call; a goal that holds through
them is not a goal that "fails in every world". The oracle is ProbLog, with the
facts written into the program: every goal a why-not reports as failing must have
probability 0 there (for a failing ``\\+ G``, ``G`` must be certain), and every
weakest sub-goal must have ProbLog's probability, below 1.
"""

from __future__ import annotations

import random

import pytest
from problog_oracle import problog_probabilities

from symbolic import Program, Term, WhyNot, format_term

REPRO = "0.7::m. h :- f(case). e :- h. e :- g(case). s :- m. fu :- \\+ s, e."
REPRO_EXTERNAL = {"f": 1, "g": 1}
CERTAIN_F = {Term("f", "case"): 1.0}


def _goals(why_not: WhyNot) -> set[str]:
    return {o.goal for o in (*why_not.failed, *why_not.weakest)}


# -------------------------------------------------------------------- the repro


@pytest.mark.parametrize("how", ["explain", "why_not", "explain table", "why_not table"])
def test_repro_blames_the_negation_not_the_certain_goal(how: str) -> None:
    program = Program.from_string(REPRO, external=REPRO_EXTERNAL)
    facts = program.fact_table(CERTAIN_F) if how.endswith("table") else CERTAIN_F
    if how.startswith("explain"):
        explanation = program.explain("fu", facts=facts)
        assert explanation.why_not is not None
        why_not = explanation.why_not
    else:
        why_not = program.why_not("fu", facts=facts)
    assert why_not.probability == pytest.approx(0.3)
    assert why_not.failed == ()
    assert not _goals(why_not) & {"e", "h", "f(case)", "g(case)"}
    assert why_not.weakest[0].goal == "\\+ s"
    assert why_not.weakest[0].probability == pytest.approx(0.3)


def test_the_facts_of_one_call_are_not_seen_by_the_next() -> None:
    program = Program.from_string(REPRO, external=REPRO_EXTERNAL)
    failed = {
        "f 1": ("fu", CERTAIN_F),
        "none": ("fu", None),
        "f 0": ("fu", {Term("f", "case"): 0.0}),
        "f 0.4": ("fu", {Term("f", "case"): 0.4}),
        "f 0 again": ("fu", {Term("f", "case"): 0.0}),
        "g only": ("fu", {Term("g", "case"): None}),
        "nothing again": ("fu", {}),
    }
    seen = {name: [o.goal for o in program.why_not(query, facts=facts).failed]
            for name, (query, facts) in failed.items()}
    assert seen == {"f 1": [], "none": ["e"], "f 0": ["e"], "f 0.4": [], "f 0 again": ["e"],
                    "g only": [], "nothing again": ["e"]}
    # grounding and the circuit agree: the facts are gone
    assert program.query(["e", "fu"]) == {"e": 0.0, "fu": 0.0}


def test_the_walk_of_h_follows_the_facts() -> None:
    program = Program.from_string(REPRO, external=REPRO_EXTERNAL)
    assert [o.goal for o in program.why_not("h").failed] == ["f(case)"]
    assert program.why_not("h", facts=CERTAIN_F).failed == ()
    assert [o.goal for o in program.why_not("h", facts={Term("f", "case"): 0.0}).failed] == [
        "f(case)"]
    assert [o.goal for o in program.why_not("h", facts={Term("f", "other"): 1.0}).failed] == [
        "f(case)"]


def test_weakest_uses_the_facts_probabilities() -> None:
    program = Program.from_string("q :- f(a), g(a), k.  0.8::k.", external={"f": 1, "g": 1})
    first = program.why_not("q", facts={Term("f", "a"): 0.2, Term("g", "a"): 0.6})
    assert [(o.goal, round(o.probability, 9)) for o in first.weakest] == [
        ("f(a)", 0.2), ("g(a)", 0.6), ("k", 0.8)]
    groundings = program.groundings
    table = program.fact_table({Term("f", "a"): 0.9, Term("g", "a"): 0.3})
    second = program.why_not("q", facts=table)
    assert program.groundings == groundings  # the same structure: nothing grounded again
    assert [(o.goal, round(o.probability, 9)) for o in second.weakest] == [
        ("g(a)", 0.3), ("k", 0.8), ("f(a)", 0.9)]
    certain = program.why_not("q", facts={Term("f", "a"): None, Term("g", "a"): 1.0})
    assert [o.goal for o in certain.weakest] == ["k"]  # certain facts cost nothing
    zero = program.why_not("q", facts={Term("f", "a"): 0.0, Term("g", "a"): 1.0})
    assert [o.goal for o in zero.failed] == ["f(a)"]
    assert zero.weakest[0].goal == "f(a)" and zero.weakest[0].probability == 0.0
    assert zero.weakest[0].reason == "a sub-goal of the rule"


def test_an_external_fact_is_named_as_given_with_the_query() -> None:
    program = Program.from_string("q :- f(a).", external={"f": 1})
    why_not = program.why_not("f(a)", facts={Term("f", "a"): 0.25})
    assert [(o.goal, o.reason) for o in why_not.weakest] == [
        ("f(a)", "a fact given with the query")]
    assert why_not.weakest[0].probability == pytest.approx(0.25)


# ------------------------------------------------------------- random programs

CONSTANTS = ("a", "b")
EXTERNAL = {"f": 1, "g": 1}
LAYERS = 4  # unary h0..h3 over a layer below; then nullary p0..p2 over everything


def _random_program(rng: random.Random) -> tuple[str, list[str]]:
    """A stratified program over external f/1, g/1, probabilistic m/1, n and certain d/1."""
    lines = [f"{rng.choice([0.3, 0.6, 1.0])}::m(a).", "0.5::m(b).", "0.4::n.", "d(a)."]
    base = ["f(X)", "g(X)", "d(X)", "m(X)"]
    for i in range(LAYERS):
        below = base + [f"h{j}(X)" for j in range(i)]
        for _ in range(rng.randint(1, 2)):
            body = [rng.choice(below)]
            for _ in range(rng.randint(0, 2)):
                goal = rng.choice([*below, "n", f"f({rng.choice(CONSTANTS)})"])
                body.append(("\\+ " if rng.random() < 0.35 else "") + goal)
            label = rng.choice(["", "", "", "0.7::"])
            lines.append(f"{label}h{i}(X) :- {', '.join(dict.fromkeys(body))}.")
    ground = [f"{p}({c})" for p in ["f", "g", "d", "m", *(f"h{i}" for i in range(LAYERS))]
              for c in CONSTANTS]
    for i in range(3):
        pool = [*ground, "n", *(f"p{j}" for j in range(i))]
        body = [rng.choice(pool)]
        if rng.random() < 0.4:  # a body-only variable, bound by an external fact
            body = [f"{rng.choice(['f', 'g'])}(Y)", f"h{rng.randrange(LAYERS)}(Y)"]
        for _ in range(rng.randint(0, 2)):
            body.append(("\\+ " if rng.random() < 0.35 else "") + rng.choice(pool))
        lines.append(f"p{i} :- {', '.join(dict.fromkeys(body))}.")
    queries = [f"h{i}({c})" for i in range(LAYERS) for c in CONSTANTS]
    return "\n".join(lines) + "\n", [*queries, "p0", "p1", "p2", "h0(c)"]


def _random_facts(rng: random.Random) -> dict[Term, float | None]:
    """Each external atom absent, or given with probability 0, 1, None or in between."""
    facts: dict[Term, float | None] = {}
    for functor in EXTERNAL:
        for constant in CONSTANTS:
            kind = rng.choice(["absent", "zero", "one", "none", "between"])
            if kind != "absent":
                facts[Term(functor, constant)] = {
                    "zero": 0.0, "one": 1.0, "none": None,
                    "between": rng.choice([0.2, 0.5, 0.9])}[kind]
    return facts


def _oracle(text: str, facts: dict[Term, float | None], goals: list[str]) -> list[float]:
    """ProbLog's P(some instance of goal) for each goal, the facts written into the program."""
    lines = [text]
    lines += [f"0.0::{functor}(zz)." for functor in EXTERNAL]  # declares f/1, g/1 to ProbLog
    lines += [f"{1.0 if p is None else p}::{format_term(t)}." for t, p in facts.items()]
    lines += [f"oracle_{i} :- {goal}.\nquery(oracle_{i})." for i, goal in enumerate(goals)]
    result = problog_probabilities("\n".join(lines) + "\n")
    return [result[f"oracle_{i}"] for i in range(len(goals))]


def _check(program: Program, text: str, queries: list[str],
           facts: dict[Term, float | None], seed: int) -> None:
    table = program.fact_table(facts)
    whys = {query: program.why_not(query, facts=facts if i % 2 else table)
            for i, query in enumerate(queries)}
    goals: list[str] = []
    expect: list[tuple[str, str, float]] = []  # (what, goal, expected) checked against ProbLog
    for query, why_not in whys.items():
        goals.append(query)
        expect.append(("probability", query, why_not.probability))
        for obstacle in why_not.failed:
            assert "cannot be tried" not in obstacle.reason, (seed, query, obstacle)
            goal = obstacle.goal
            if goal.startswith("\\+ "):  # a negation fails in every world: its goal is certain
                goals.append(goal[3:])
                expect.append((f"failed {query}", goal[3:], 1.0))
            else:
                goals.append(goal)
                expect.append((f"failed {query}", goal, 0.0))
        for obstacle in why_not.weakest:
            assert 0.0 <= obstacle.probability < 1.0, (seed, query, obstacle)
            if obstacle.goal.endswith("(rule probability)"):
                continue
            negated = obstacle.goal.startswith("\\+ ")
            goal = obstacle.goal[3:] if negated else obstacle.goal
            goals.append(goal)
            expect.append((f"weakest {query}", goal,
                           1.0 - obstacle.probability if negated else obstacle.probability))
    for (what, goal, expected), value in zip(expect, _oracle(text, facts, goals), strict=True):
        assert value == pytest.approx(expected, abs=1e-9), (seed, what, goal, facts)
    for query, why_not in whys.items():  # explain's why-not is the same
        if why_not.probability < 0.5:
            explained = program.explain(query, k=1, facts=facts).why_not
            assert explained == why_not, (seed, query)


@pytest.mark.parametrize("seed", range(30))
def test_random_why_not_fails_only_impossible_goals(seed: int) -> None:
    rng = random.Random(seed)
    text, queries = _random_program(rng)
    program = Program.from_string(text, external=EXTERNAL)
    for _ in range(3):  # the same program, new facts each time: nothing stays behind
        _check(program, text, queries, _random_facts(rng), seed)
