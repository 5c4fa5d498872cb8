"""``Program.explain``: proofs, influence, why-not, rule metadata, formats, errors, caching.

Proofs are checked against the semantics, not against the engine's own search:

* entailment by evaluation: a proof's positive leaves forced true (probability 1, the
  other heads of their annotated disjunction 0) and its negated leaves given as false
  evidence make the query certain;
* optimality by brute force (``explain_oracle``): on positive programs the best proof is
  the most probable minimal support, found by enumerating sets of facts and forward
  chaining, and no better minimal support is missing from the k proofs returned;
* influence against a central finite difference of ``Program.query(weights=...)``;
* the probability against ``Program.query`` (which matches ProbLog, see ``test_random``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping

import networkx as nx
import pytest
from explain_oracle import PositiveProgram, random_graph, random_positive
from randprog import random_program

from nesy.errors import InconsistentEvidenceError, InputError, NesyError
from symbolic import Explanation, Fact, Influence, Parameter, Program, Proof, Step

TOLERANCE = 1e-9
STEP = 1e-6  # finite-difference step for the influence
RANDOM_SEEDS = range(40)
ORACLE_SEEDS = range(30)


# ----------------------------------------------------------------------------- programs

WET = """\
0.9::rain. 0.5::sprinkler.
wet :- rain.
wet :- sprinkler.
"""

GRAPH = """\
0.6::edge(a,b). 0.5::edge(b,c). 0.7::edge(c,a). 0.3::edge(a,c). 0.8::edge(c,d).
0.4::edge(d,b). edge(b,b).
node(a). node(b). node(c). node(d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), node(Z), path(Z,Y).
"""

SMOKERS = """\
0.3::stress(ann). 0.6::stress(bob). 0.2::stress(carl).
friend(ann,bob). friend(bob,ann). friend(bob,carl). friend(carl,ann).
0.7::smokes(X) :- stress(X).
0.2::smokes(X) :- friend(X,Y), smokes(Y).
0.4::cancer(X) :- smokes(X).
"""

COLOURS = """\
0.4::colour(red); 0.35::colour(green); 0.25::colour(blue).
0.5::shade(X,dark); 0.3::shade(X,light) :- colour(X).
0.6::mood(calm); 0.3::mood(bold).
warm :- colour(red).
warm :- shade(red,dark).
nice :- colour(green), \\+ shade(green,light).
nice :- warm, mood(calm).
nice :- mood(bold), colour(blue).
"""

NEGATION = """\
0.3::a. 0.6::b. 0.2::c. 0.7::d.
q :- a, \\+ b.
q :- c, \\+ (a, b).
q :- \\+ a, \\+ c, b.
r :- d, \\+ q.
"""

PATIENTS = """\
person(ann). person(bob). person(cy).
age(ann, 52). age(bob, 17). age(cy, 44).
0.7::suspicious(ann). 0.4::suspicious(bob). 0.2::suspicious(cy).
0.1::history(cy).
at_risk(P) :- person(P), age(P, A), A >= 40.
at_risk(P) :- history(P).
biopsy(P) :- suspicious(P), at_risk(P).
"""

SAFE_PATHS = """\
0.6::edge(a,b). 0.5::edge(b,c). 0.7::edge(c,a). 0.3::edge(a,c). 0.8::edge(c,d).
0.2::blocked(c). 0.1::blocked(d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
safe(X,Y) :- path(X,Y), \\+ blocked(Y).
alarm :- path(a,d), \\+ safe(a,d).
"""

# a negated goal that the proof's own choice proves: no proof exists (P(q) = 0)
NEGATED_CONSEQUENCE = """\
0.5::a. 0.5::c.
b :- a.
b :- c.
q :- a, \\+ b.
q2 :- c, \\+ b.
"""

HAND_WRITTEN = {
    "facts_and_rules": (WET, ["wet"]),
    "graph_with_cycles": (GRAPH, ["path(a,d)", "path(d,a)", "path(a,a)", "path(b,b)"]),
    "probabilistic_rules": (SMOKERS, ["cancer(ann)", "smokes(bob)", "smokes(carl)"]),
    "annotated_disjunctions": (COLOURS, ["nice", "warm"]),
    "negation": (NEGATION, ["q", "r"]),
    "deterministic_helpers": (PATIENTS, ["biopsy(ann)", "biopsy(cy)", "at_risk(bob)"]),
    "recursion_and_negation": (SAFE_PATHS, ["safe(a,d)", "alarm"]),
}


def _cases() -> list[tuple[str, str, str]]:
    return [(name, text, query) for name, (text, queries) in HAND_WRITTEN.items()
            for query in queries]


def _without_evidence(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("evidence("))


def _ground_answers(program: Program) -> list[str]:
    """The ground answers of the program's queries (a non-ground query gives several)."""
    return sorted(program.query())


# ------------------------------------------------------------------------------ helpers


def _leaf_key(proof: Proof) -> frozenset[tuple[str, bool, float, str, str | None]]:
    """A proof's leaves as a set (a Fact's source holds a dict, so Facts do not hash)."""
    return frozenset((leaf.atom, leaf.negated, leaf.probability, leaf.source.kind,
                      leaf.source.rule) for leaf in proof.leaves())


def _check_structure(proof: Proof) -> None:
    """One clause per atom, and no atom below itself."""
    clause_of: dict[str, str] = {}

    def walk(node: Step | Fact, above: frozenset[str]) -> None:
        if isinstance(node, Fact):
            own_probability = node.source.kind == "rule"  # named by its rule's head
            assert node.negated or own_probability or node.atom not in above, \
                f"{node.atom} proves itself"
            return
        assert node.atom not in above, f"cycle through {node.atom}"
        previous = clause_of.setdefault(node.atom, node.rule.id)
        assert previous == node.rule.id, f"{node.atom} derived by two clauses"
        for child in node.children:
            walk(child, above | {node.atom})

    walk(proof.root, frozenset())


def _check_proofs(explanation: Explanation) -> None:
    """Order, distinct leaf sets, structure, and probability = product of leaves."""
    probabilities = [proof.probability for proof in explanation.proofs]
    assert probabilities == sorted(probabilities, reverse=True), probabilities
    keys = [_leaf_key(proof) for proof in explanation.proofs]
    assert len(set(keys)) == len(keys), "two proofs with the same leaves"
    for proof in explanation.proofs:
        _check_structure(proof)
        assert 0.0 < proof.probability <= 1.0
        product = math.prod(leaf.probability for leaf in proof.leaves())
        assert proof.probability == pytest.approx(product, abs=TOLERANCE)


def _entailment_setting(
    program: Program, query: str, proof: Proof, evidence: Mapping[str, bool]
) -> tuple[dict[str, float], dict[str, bool]] | None:
    """Weights and evidence that make the proof's leaves true; None when not expressible.

    Positive leaves that are probabilistic choices get probability 1 and the other heads
    of their annotated-disjunction instance 0; negated leaves become false evidence. A
    negated complex goal (``\\+ (a, b)``) or two heads of one instance sharing a name
    cannot be written as weights, so such a proof is not checked this way.
    """
    negated = {leaf.atom: False for leaf in proof.leaves() if leaf.negated}
    if any(atom.startswith("(") for atom in negated):
        return None
    all_evidence = {**evidence, **negated}
    parameters = program.compile(query, all_evidence or None).parameters
    positive = {leaf.atom for leaf in proof.leaves() if not leaf.negated}
    chosen = {p.choice for p in parameters if p.name in positive}
    weights: dict[str, float] = {}
    for parameter in parameters:
        if parameter.name in positive:
            weights[parameter.name] = 1.0
    for parameter in parameters:
        if parameter.choice in chosen and parameter.name not in positive:
            weights[parameter.name] = 0.0
    siblings: dict[int, set[str]] = {}
    for parameter in parameters:
        if parameter.choice in chosen and parameter.name in positive:
            siblings.setdefault(parameter.choice, set()).add(parameter.name)
    if any(len(names) > 1 for names in siblings.values()):
        return None
    return weights, all_evidence


def _assert_proofs_entail(program: Program, query: str, explanation: Explanation,
                          evidence: Mapping[str, bool] | None = None) -> int:
    """Every proof, its leaves made true, makes the query certain; returns how many checked."""
    checked = 0
    for proof in explanation.proofs:
        setting = _entailment_setting(program, query, proof, evidence or {})
        if setting is None:
            continue
        weights, all_evidence = setting
        leaves = [(leaf.atom, leaf.negated) for leaf in proof.leaves()]
        try:
            result = program.query(query, evidence=all_evidence or None, weights=weights)
        except InconsistentEvidenceError:
            pytest.fail(f"the leaves of a proof of {query} contradict each other or the "
                        f"evidence: {leaves}")
        assert result[query] == pytest.approx(1.0, abs=TOLERANCE), (query, leaves)
        checked += 1
    return checked


# --------------------------------------------------------------------------- entailment


@pytest.mark.parametrize(("name", "text", "query"), _cases(),
                         ids=[f"{n}-{q}" for n, _, q in _cases()])
def test_proofs_entail_the_query(name: str, text: str, query: str) -> None:
    program = Program.from_string(text, name=f"{name}.pl")
    explanation = program.explain(query, k=6)
    assert explanation.probability == pytest.approx(program.query(query)[query], abs=TOLERANCE)
    if explanation.probability > 0.0:
        assert explanation.proofs, f"{query} is possible but has no proof"
    else:
        assert not explanation.proofs, f"{query} is impossible but has a proof"
    checked = _assert_proofs_entail(program, query, explanation)
    assert checked or not explanation.proofs
    _check_proofs(explanation)


def test_negated_complex_goal_is_one_leaf() -> None:
    """``\\+ (a, b)`` is a negated leaf worth P(not (a and b))."""
    explanation = Program.from_string(NEGATION).explain("q", k=6)
    complex_leaves = [leaf for proof in explanation.proofs for leaf in proof.leaves()
                      if leaf.negated and leaf.atom.startswith("(")]
    assert complex_leaves
    assert complex_leaves[0].probability == pytest.approx(1 - 0.3 * 0.6, abs=TOLERANCE)


@pytest.mark.parametrize("query", ["q", "q2"])
def test_self_contradicting_proof_is_not_reported(query: str) -> None:
    """``q :- a, \\+ b`` with ``b :- a``: q is impossible, so it has no proof."""
    program = Program.from_string(NEGATED_CONSEQUENCE)
    explanation = program.explain(query, k=3)
    assert explanation.probability == 0.0
    _assert_proofs_entail(program, query, explanation)
    assert explanation.proofs == ()


@pytest.mark.parametrize(("text", "query", "evidence"), [
    (WET, "wet", {"rain": False}),
    (GRAPH, "path(a,d)", {"edge(a,c)": False}),
    (COLOURS, "nice", {"colour(red)": False}),
], ids=["wet", "graph", "colours"])
def test_proofs_respect_the_evidence(text: str, query: str, evidence: dict[str, bool]) -> None:
    """A proof that uses a fact the evidence makes false is no reason for the query."""
    program = Program.from_string(text)
    explanation = program.explain(query, k=4, evidence=evidence)
    assert explanation.proofs
    _assert_proofs_entail(program, query, explanation, evidence)


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_proofs_of_random_programs_entail_their_queries(seed: int) -> None:
    text = _without_evidence(random_program(seed))
    program = Program.from_string(text, name=f"random_{seed}.pl")
    checked = found = 0
    for query in _ground_answers(program):
        explanation = program.explain(query, k=3)
        for proof in explanation.proofs:
            _check_structure(proof)
        found += len(explanation.proofs)
        checked += _assert_proofs_entail(program, query, explanation)
    assert checked or not found


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_proofs_of_random_programs_are_ordered_and_distinct(seed: int) -> None:
    text = random_program(seed)
    program = Program.from_string(_without_evidence(text), name=f"random_{seed}.pl")
    for query in _ground_answers(program):
        _check_proofs(program.explain(query, k=3))


def test_proofs_with_the_same_leaves_are_reported_once() -> None:
    """Two instances of ``0.6::k :- e(_)`` give the same leaves {e(a), e(b), k}: one proof."""
    program = Program.from_string("0.5::e(a). 0.5::e(b). 0.6::k :- e(_). q :- e(a), e(b), k.")
    explanation = program.explain("q", k=3)
    assert [p.probability for p in explanation.proofs] == pytest.approx([0.15])


def test_proofs_choose_one_head_per_annotated_disjunction() -> None:
    program = Program.from_string(COLOURS + "any :- colour(X), colour(Y), X \\= Y.\n"
                                  "any :- nice.\n")
    explanation = program.explain("any", k=10)
    assert explanation.proofs
    for proof in explanation.proofs:
        for functor in ("colour(", "mood("):
            heads = {leaf.atom for leaf in proof.leaves()
                     if not leaf.negated and leaf.atom.startswith(functor)}
            assert len(heads) <= 1, heads


# ------------------------------------------------------------------ order and optimality


def _probabilistic_set(proof: Proof, program: PositiveProgram) -> frozenset[str]:
    return frozenset(leaf.atom for leaf in proof.leaves()
                     if not leaf.negated and leaf.atom in program.facts)


def _check_against_oracle(oracle: PositiveProgram, query: str, k: int) -> Explanation:
    program = Program.from_string(oracle.text())
    explanation = program.explain(query, k=k)
    assert explanation.probability == pytest.approx(oracle.probability(query), abs=TOLERANCE)
    _check_proofs(explanation)
    supports = oracle.minimal_supports(query)
    if not supports:
        assert explanation.proofs == ()
        return explanation
    proofs = explanation.proofs
    assert proofs, f"{query} has a support but no proof"
    assert proofs[0].probability == pytest.approx(supports[0].probability, abs=TOLERANCE)
    found = [_probabilistic_set(proof, oracle) for proof in proofs]
    for facts in found:
        assert oracle.entails(facts, query), f"{sorted(facts)} does not entail {query}"
    # a best-first search cannot skip a minimal support better than its last proof
    floor = proofs[-1].probability if len(proofs) == k else -1.0
    for support in supports:
        if support.probability > floor + TOLERANCE:
            assert support.facts in found, f"missed {sorted(support.facts)} ({support})"
    return explanation


@pytest.mark.parametrize("seed", ORACLE_SEEDS)
def test_best_proof_of_random_positive_program(seed: int) -> None:
    oracle, query = random_positive(seed)
    _check_against_oracle(oracle, query, k=4)


@pytest.mark.parametrize("seed", ORACLE_SEEDS)
def test_best_proofs_of_random_graph(seed: int) -> None:
    oracle, queries = random_graph(seed)
    for query in queries:
        _check_against_oracle(oracle, query, k=4)


@pytest.mark.parametrize("seed", ORACLE_SEEDS)
def test_proofs_of_acyclic_graph_are_the_k_best_supports(seed: int) -> None:
    """Without cycles every proof is a simple path, i.e. exactly a minimal support."""
    oracle, queries = random_graph(seed, acyclic=True)
    for query in queries:
        explanation = _check_against_oracle(oracle, query, k=3)
        supports = oracle.minimal_supports(query)
        best = [support.probability for support in supports[:3]]
        assert [p.probability for p in explanation.proofs] == pytest.approx(best, abs=TOLERANCE)
        minimal = {support.facts for support in supports}
        for proof in explanation.proofs:
            assert _probabilistic_set(proof, oracle) in minimal


def test_negated_leaves_count_in_the_order() -> None:
    """A proof's negated leaves lower it before it is ranked: {c} (0.4) beats {a, \\+ b}."""
    program = Program.from_string("0.5::a. 0.9::b. 0.4::c. q :- a, \\+ b. q :- c.")
    best = program.explain("q", k=1).proofs
    assert [proof.probability for proof in best] == pytest.approx([0.4])
    both = program.explain("q", k=2).proofs
    assert [proof.probability for proof in both] == pytest.approx([0.4, 0.05])


def test_wet_proofs_and_influence_by_hand() -> None:
    explanation = Program.from_string(WET).explain("wet", k=5)
    assert explanation.probability == pytest.approx(0.95)
    assert [p.probability for p in explanation.proofs] == pytest.approx([0.9, 0.5])
    assert [leaf.atom for leaf in explanation.proofs[0].leaves()] == ["rain"]
    assert [(i.fact, i.value) for i in explanation.influence] == [
        ("rain", pytest.approx(0.5)), ("sprinkler", pytest.approx(0.1))]
    assert explanation.complete


# ------------------------------------------------------------------------------ influence


def _room_in_disjunctions(parameters: tuple[Parameter, ...], name: str) -> bool:
    """Whether raising ``name`` by STEP keeps each of its annotated disjunctions at mass <= 1."""
    for choice in {p.choice for p in parameters if p.name == name}:
        heads = [p for p in parameters if p.choice == choice]
        if len(heads) > 1 and sum(p.default or 0.0 for p in heads) + STEP > 1.0 + 1e-12:
            return False
    return True


def _assert_influence_matches_differences(program: Program, query: str,
                                          evidence: Mapping[str, bool] | None = None,
                                          kinds: tuple[str, ...] = ("program",)) -> int:
    """Each influence value against a central difference of P(query | evidence)."""
    explanation = program.explain(query, evidence=evidence)
    values = [abs(item.value) for item in explanation.influence]
    assert values == sorted(values, reverse=True)
    parameters = program.compile(query, evidence).parameters
    assert Counter(item.fact for item in explanation.influence) == Counter(
        p.name for p in parameters)
    by_name: dict[str, list[Influence]] = {}
    for item in explanation.influence:
        by_name.setdefault(item.fact, []).append(item)
    checked = 0
    for name, items in by_name.items():
        if {item.source.kind for item in items} - set(kinds):
            continue
        p = items[0].probability
        if any(item.probability != p for item in items):
            continue  # one weight moves parameters that start from different values
        if not _room_in_disjunctions(parameters, name):
            continue
        low, high = max(0.0, p - STEP), min(1.0, p + STEP)
        if evidence and (low == 0.0 or high == 1.0):
            continue  # a one-sided difference of a ratio is not accurate enough
        up = program.query(query, evidence, weights={name: high})[query]
        down = program.query(query, evidence, weights={name: low})[query]
        expected = (up - down) / (high - low)
        actual = sum(item.value for item in items)
        assert actual == pytest.approx(expected, abs=1e-6), (name, actual, expected)
        checked += 1
    return checked


INFLUENCE_CASES = [
    ("graph", GRAPH, "path(a,d)", None),
    ("graph_evidence", GRAPH, "path(a,d)", {"edge(b,c)": True}),
    ("graph_evidence_derived", GRAPH, "path(a,d)", {"path(d,a)": False}),
    ("colours", COLOURS, "nice", None),
    ("colours_evidence", COLOURS, "nice", {"warm": False}),
    ("smokers", SMOKERS, "cancer(ann)", None),
    ("smokers_evidence", SMOKERS, "smokes(ann)", {"cancer(bob)": True}),
    ("negation", NEGATION, "r", None),
    ("negation_evidence", NEGATION, "r", {"c": False}),
    ("patients", PATIENTS, "biopsy(cy)", {"at_risk(cy)": True}),
    ("safe_paths", SAFE_PATHS, "alarm", None),
]


@pytest.mark.parametrize(("text", "query", "evidence"),
                         [case[1:] for case in INFLUENCE_CASES],
                         ids=[case[0] for case in INFLUENCE_CASES])
def test_influence_is_the_derivative(text: str, query: str,
                                     evidence: dict[str, bool] | None) -> None:
    program = Program.from_string(text)
    checked = _assert_influence_matches_differences(program, query, evidence,
                                                    kinds=("program", "rule"))
    assert checked


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_influence_of_random_programs_is_the_derivative(seed: int) -> None:
    program = Program.from_string(random_program(seed), name=f"random_{seed}.pl")
    try:
        answers = program.query()
    except InconsistentEvidenceError:
        pytest.skip("the program's own evidence is inconsistent")
    for query in sorted(answers):
        _assert_influence_matches_differences(program, query)


def test_influence_when_the_query_is_certain() -> None:
    """A certain query does not move with any fact: every value is 0."""
    explanation = Program.from_string("a. 0.5::a.").explain("a")
    assert explanation.probability == 1.0
    assert [(i.fact, i.value) for i in explanation.influence] == [("a", 0.0)]


# ---------------------------------------------------------------------------- probability


def _other_evidence(text: str) -> str:
    """A probabilistic fact of the program to condition on (the first one)."""
    for line in text.splitlines():
        if "::" in line and ":-" not in line and ";" not in line:
            return line.split("::", 1)[1].rstrip(".")
    raise AssertionError("no probabilistic fact")


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
@pytest.mark.parametrize("value", [None, True, False])
def test_probability_equals_query_on_random_programs(seed: int, value: bool | None) -> None:
    text = random_program(seed)
    program = Program.from_string(text, name=f"random_{seed}.pl")
    evidence = None if value is None else {_other_evidence(text): value}
    keys = _ground_answers(Program.from_string(_without_evidence(text)))
    for query in keys:
        try:
            expected = program.query(query, evidence)[query]
        except InconsistentEvidenceError:
            with pytest.raises(InconsistentEvidenceError):
                program.explain(query, evidence=evidence)
            continue
        actual = program.explain(query, evidence=evidence).probability
        assert actual == pytest.approx(expected, abs=TOLERANCE, rel=0), query


def test_inconsistent_evidence_raises_inconsistent_evidence_error() -> None:
    program = Program.from_string("0.5::a. c :- a.")
    with pytest.raises(InconsistentEvidenceError, match="inconsistent"):
        program.explain("c", evidence={"a": True, "c": False})
    assert program.explain("c").probability == pytest.approx(0.5)


def test_evidence_is_shown_and_conditions_the_probability() -> None:
    program = Program.from_string(GRAPH + "evidence(edge(a,b), true).\n")
    explanation = program.explain("path(a,d)", evidence={"edge(c,d)": True})
    assert dict(explanation.evidence) == {"edge(a,b)": True, "edge(c,d)": True}
    expected = program.query("path(a,d)", evidence={"edge(c,d)": True})["path(a,d)"]
    assert explanation.probability == pytest.approx(expected, abs=TOLERANCE)


# --------------------------------------------------------------------------------- why-not


PEOPLE = """\
person(bob). person(ann).
age(bob, 12). age(ann, 30).
%! id: adult_rule
%! text: Adults are 18 or older
adult(P) :- person(P), age(P, A), A >= 18.
0.3::x. 0.9::y.
%! id: both
q :- x, y.
0.8::z.
w :- z.
other(a).
"""


def test_why_not_names_the_goal_that_fails_in_every_world() -> None:
    explanation = Program.from_string(PEOPLE).explain("adult(bob)")
    assert explanation.probability == 0.0
    assert explanation.proofs == ()
    assert explanation.why_not is not None
    failed = explanation.why_not.failed
    assert [(o.goal.replace(" ", ""), o.probability) for o in failed] == [("12>=18", 0.0)]
    assert failed[0].rule is not None and failed[0].rule.id == "adult_rule"


def test_why_not_lists_the_weakest_sub_goal_first() -> None:
    explanation = Program.from_string(PEOPLE).explain("q")
    assert explanation.probability == pytest.approx(0.27)
    why_not = explanation.why_not
    assert why_not is not None and why_not.failed == ()
    assert why_not.weakest[0].goal == "x"
    assert why_not.weakest[0].probability == pytest.approx(0.3)
    assert why_not.weakest[0].rule is not None and why_not.weakest[0].rule.id == "both"
    probabilities = [o.probability for o in why_not.weakest]
    assert probabilities == sorted(probabilities)


@pytest.mark.parametrize("query", ["w", "adult(ann)"])
def test_no_why_not_at_or_above_one_half(query: str) -> None:
    assert Program.from_string(PEOPLE).explain(query).why_not is None


def test_why_not_when_no_rule_concludes_the_query() -> None:
    explanation = Program.from_string(PEOPLE).explain("other(b)")
    assert explanation.why_not is not None
    (obstacle,) = explanation.why_not.failed
    assert obstacle.goal == "other(b)"
    assert obstacle.rule is None
    assert "no rule" in obstacle.reason


# ------------------------------------------------------------------------------- metadata


GARDEN = """\
0.9::rain.
0.5::sprinkler.
%! id: wet_from_rain
%! text: The grass is wet
%!   when it rains
%! source: Weather handbook, section 2
wet :- rain.
wet :- sprinkler.
0.6::slippery :- wet.
"""


def _steps(node: Step | Fact) -> list[Step]:
    if isinstance(node, Fact):
        return []
    return [node, *(step for child in node.children for step in _steps(child))]


def test_rule_metadata_shows_on_the_steps() -> None:
    program = Program.from_string(GARDEN, name="/some/where/garden.pl")
    explanation = program.explain("slippery", k=2)
    first, second = explanation.proofs
    top = first.root
    assert isinstance(top, Step) and top.rule.id == "garden.pl:9"
    (wet,) = [step for step in _steps(top) if step.atom == "wet"]
    assert wet.rule.id == "wet_from_rain"
    assert wet.rule.text == "The grass is wet when it rains"
    assert wet.rule.source == "Weather handbook, section 2"
    assert wet.rule.location.line == 7
    (other,) = [step for step in _steps(second.root) if step.atom == "wet"]
    assert other.rule.id == "garden.pl:8"
    assert other.rule.text == "wet :- sprinkler."
    assert other.rule.source is None
    own = [leaf for leaf in first.leaves() if leaf.source.kind == "rule"]
    assert [(leaf.atom, leaf.probability, leaf.source.rule) for leaf in own] == [
        ("slippery", 0.6, "garden.pl:9")]
    rain = [leaf for leaf in first.leaves() if leaf.atom == "rain"]
    assert rain[0].source.kind == "program" and rain[0].source.rule == "garden.pl:1"


def test_automatic_ids_and_program_rules() -> None:
    program = Program.from_string(GARDEN)
    rules = {rule.id: rule for rule in program.rules.values()}
    assert set(rules) == {"<string>:1", "<string>:2", "wet_from_rain", "<string>:8",
                          "<string>:9"}
    assert rules["wet_from_rain"].clause == "wet :- rain."
    explanation = program.explain("wet", k=2)
    assert [step.rule.id for proof in explanation.proofs for step in _steps(proof.root)] == [
        "wet_from_rain", "<string>:8"]


# --------------------------------------------------------------------------------- formats


def test_to_dict_is_json_and_round_trips() -> None:
    program = Program.from_string(COLOURS + SMOKERS)
    explanation = program.explain("nice", k=3, evidence={"mood(bold)": False})
    data = explanation.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["probability"] == explanation.probability
    assert data["evidence"] == {"mood(bold)": False}
    assert len(data["proofs"]) == len(explanation.proofs)
    assert [p["probability"] for p in data["proofs"]] == [
        p.probability for p in explanation.proofs]
    assert data["why_not"] is None
    low = Program.from_string(PEOPLE).explain("adult(bob)").to_dict()
    assert json.loads(json.dumps(low)) == low
    assert low["why_not"]["failed"][0]["rule"]["id"] == "adult_rule"


@pytest.mark.parametrize(("text", "query", "k"),
                         [(GRAPH, "path(a,d)", 2), (SMOKERS, "cancer(ann)", 2),
                          (NEGATION, "q", 3), (PATIENTS, "biopsy(cy)", 2)],
                         ids=["graph", "smokers", "negation", "patients"])
def test_to_networkx_is_a_tree_of_proofs(text: str, query: str, k: int) -> None:
    explanation = Program.from_string(text).explain(query, k=k)
    assert len(explanation.proofs) == k
    graph = explanation.to_networkx()
    kinds = nx.get_node_attributes(graph, "kind")
    assert set(kinds) == set(graph.nodes)
    assert set(kinds.values()) <= {"query", "proof", "rule", "fact"}
    assert [n for n, kind in kinds.items() if kind == "query"] == ["query"]
    proofs = sorted(n for n, kind in kinds.items() if kind == "proof")
    assert proofs == [f"p{i}" for i in range(1, k + 1)]
    assert sorted(graph.successors("query")) == proofs
    assert nx.is_arborescence(graph)
    assert graph.in_degree("query") == 0
    for node, kind in kinds.items():
        if kind == "fact":
            assert graph.out_degree(node) == 0
        if kind == "rule":
            assert graph.out_degree(node) > 0
    for i, proof in enumerate(explanation.proofs, start=1):
        facts = [n for n in nx.descendants(graph, f"p{i}") if kinds[n] == "fact"]
        atoms = {(graph.nodes[n]["atom"], graph.nodes[n]["negated"]) for n in facts}
        assert atoms == {(leaf.atom, leaf.negated) for leaf in proof.leaves()}


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("k", [-1, 1.5, True, "3", None])
def test_bad_k_is_an_input_error(k: object) -> None:
    program = Program.from_string(WET)
    with pytest.raises(InputError, match="k must be"):
        program.explain("wet", k=k)  # type: ignore[arg-type]
    assert program.explain("wet", k=1).proofs[0].probability == pytest.approx(0.9)


def test_k_zero_gives_no_proofs() -> None:
    explanation = Program.from_string(WET).explain("wet", k=0)
    assert explanation.proofs == ()
    assert explanation.probability == pytest.approx(0.95)


def test_non_ground_query_with_several_answers_names_them() -> None:
    program = Program.from_string(GRAPH)
    with pytest.raises(InputError, match=r"path\(a,X\) has 4 answers \(path\(a,"):
        program.explain("path(a,X)")
    assert program.explain("path(a,d)").probability == pytest.approx(
        program.query("path(a,d)")["path(a,d)"])


def test_non_ground_query_with_one_answer_is_explained() -> None:
    explanation = Program.from_string(PEOPLE).explain("adult(P)")
    assert explanation.query == "adult(ann)"
    assert explanation.probability == 1.0


@pytest.mark.parametrize(("query", "match"), [
    ("no_such_thing(a)", "unknown predicate no_such_thing/1"),
    ("wet(", "cannot parse"),
    ("", "empty query"),
])
def test_bad_query_is_a_clear_error(query: str, match: str) -> None:
    program = Program.from_string(WET)
    with pytest.raises(NesyError, match=match):
        program.explain(query)
    assert program.explain("wet").probability == pytest.approx(0.95)


def test_bad_weights_are_input_errors() -> None:
    program = Program.from_string(WET)
    with pytest.raises(InputError, match="no probabilistic fact hail"):
        program.explain("wet", weights={"hail": 0.5})
    with pytest.raises(InputError, match="must be a number in"):
        program.explain("wet", weights={"rain": 1.5})
    assert program.explain("wet").probability == pytest.approx(0.95)


# --------------------------------------------------------------------------------- caching


def test_explaining_twice_grounds_once() -> None:
    program = Program.from_string(GRAPH)
    first = program.explain("path(a,d)")
    assert program.groundings == 1
    assert program.explain("path(a,d)", k=5) is not first
    assert program.groundings == 1
    program.query("path(a,d)")  # the query cache is its own
    assert program.groundings == 2
    program.explain("path(a,d)", evidence={"edge(a,b)": True})
    assert program.groundings == 3
    program.explain("path(a,d)", evidence={"edge(a,b)": True})
    assert program.groundings == 3


def test_new_weights_change_the_proofs_without_grounding() -> None:
    program = Program.from_string(WET)
    before = program.explain("wet", k=2)
    after = program.explain("wet", k=2, weights={"rain": 0.1})
    assert program.groundings == 1
    assert [p.probability for p in before.proofs] == pytest.approx([0.9, 0.5])
    assert [p.probability for p in after.proofs] == pytest.approx([0.5, 0.1])
    assert [leaf.atom for leaf in after.proofs[0].leaves()] == ["sprinkler"]
    assert after.probability == pytest.approx(program.query("wet", weights={"rain": 0.1})["wet"])
    influence = {item.fact: item.value for item in after.influence}
    assert influence == {"rain": pytest.approx(0.5), "sprinkler": pytest.approx(0.9)}
