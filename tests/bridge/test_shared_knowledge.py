"""Graph facts that come with every case: ``[knowledge] entities`` (a list of atoms, or "all")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge import Engine, check_bundle
from nesy.errors import InputError, KnowledgeError
from symbolic import Fact

RULES = """
%! id: within_limit
%! text: An amount within the policy's limit is approved
%! source: Test policy, section 1
approved :- amount(case, A), limit(policy, L), A =< L, \\+ frozen.

%! id: frozen_owner
%! text: Nothing is approved while the policy's owner is under review
%! source: Test policy, section 2
frozen :- owner(policy, O), under_review(O).

act(approve) :- approved.
act(refer) :- \\+ approved.
"""
TOML = """
[bundle]
name = "shared"

[decision]
query = "act"
labels = ["approve", "refer"]

[record]
amount = { type = "int", predicate = "amount" }
RECORD

[knowledge]
prefixes = { ex = "http://example.org/shared#" }
default_prefix = "ex"
confidence = "ex:confidence"
hops = 1
ENTITIES
predicates = { limit = "ex:limit", owner = "ex:owner", under_review = { class = "ex:UnderReview" } }
"""
GRAPH = """@prefix ex: <http://example.org/shared#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Audited rdfs:subClassOf ex:UnderReview .
ex:policy ex:limit 100 ; ex:owner ex:bank {| ex:confidence 0.2 |} .
ex:bank a ex:Audited .
ex:other ex:limit 5 .
"""


def make(root: Path, entities: str, record: str = "") -> Path:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "rules" / "act.pl").write_text(RULES)
    (root / "knowledge").mkdir(exist_ok=True)
    (root / "knowledge" / "graph.ttl").write_text(GRAPH)
    (root / "bundle.toml").write_text(TOML.replace("ENTITIES", entities).replace("RECORD", record))
    return root


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.from_bundle(make(tmp_path_factory.mktemp("listed"),
                                   'entities = ["policy"]'))


def case(amount: int, i: int = 1) -> dict[str, Any]:
    return {"id": f"c{i}", "record": {"amount": amount}}


def test_the_listed_entities_facts_come_with_every_case(engine: Engine) -> None:
    decision = engine.decide(case(50))
    # approve unless the owner (with confidence 0.2) is under review (inferred: audited)
    assert decision.alternatives["approve"] == pytest.approx(0.8)
    facts = {fact.fact: fact for fact in decision.facts}
    assert set(facts) == {"amount(case,50)", "limit(policy,100)", "owner(policy,bank)",
                          "under_review(bank)"}  # within hops 1 of policy; not ex:other
    assert facts["limit(policy,100)"].source == {
        "kind": "knowledge", "graph": facts["limit(policy,100)"].source["graph"],
        "triple": ["<http://example.org/shared#policy>", "<http://example.org/shared#limit>",
                   '"100"^^<http://www.w3.org/2001/XMLSchema#integer>'],
        "inferred": False}
    review, owner = facts["under_review(bank)"], facts["owner(policy,bank)"]
    assert review.probability == 1.0 and review.source["inferred"] is True
    assert owner.probability == pytest.approx(0.2) and owner.source["inferred"] is False
    assert engine.decide(case(500)).label == "refer"


def test_the_explanation_names_the_triples(engine: Engine) -> None:
    explanation = engine.decide(case(50)).explanation
    assert explanation is not None
    leaves = [leaf for proof in explanation.proofs for leaf in proof.leaves()
              if isinstance(leaf, Fact)]
    limit = next(leaf for leaf in leaves if leaf.atom == "limit(policy,100)")
    assert limit.source.kind == "knowledge"
    assert limit.source.details["triple"][1] == "<http://example.org/shared#limit>"
    influence = {item.fact: item for item in explanation.influence}
    assert influence["owner(policy,bank)"].source.kind == "knowledge"
    assert influence["owner(policy,bank)"].value == pytest.approx(-1.0)


def test_the_facts_are_read_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any) -> None:
        raise AssertionError("the graph was read for a case")

    monkeypatch.setattr(engine.mapping, "facts", fail)
    monkeypatch.setattr(engine.mapping, "shared_facts", fail)
    decisions = engine.decide_many([case(50 + i, i) for i in range(5)])
    assert [d.label for d in decisions] == ["approve"] * 5
    assert all("limit(policy,100)" in {f.fact for f in d.facts} for d in decisions)


def test_batched_equals_one_by_one(engine: Engine) -> None:
    cases = [case(amount, i) for i, amount in enumerate((10, 100, 101, 1000))]
    together = engine.decide_many(cases)
    for one, decision in zip(cases, together, strict=True):
        alone = engine.decide(one)
        assert (alone.decided, alone.alternatives) == (decision.decided, decision.alternatives)
        assert [f.fact for f in alone.facts] == [f.fact for f in decision.facts]


def test_given_knowledge_replaces_the_shared_facts(engine: Engine) -> None:
    assert engine.decide_given({"amount": 50}, {}).alternatives["approve"] == pytest.approx(0.8)
    decision = engine.decide_given({"amount": 50}, {}, knowledge={})
    assert decision.label == "refer" and [f.fact for f in decision.facts] == ["amount(case,50)"]
    given = engine.query_given(["approved"], {"amount": 50}, {},
                               knowledge={"limit(policy,60)": 1.0})
    assert given == {"approved": pytest.approx(1.0)}


def test_explain_given_shows_the_graph(engine: Engine) -> None:
    explanation = engine.explain_given("frozen", {"amount": 50}, {})
    assert explanation.probability == pytest.approx(0.2)
    (proof,) = explanation.proofs
    sources = {leaf.atom: leaf.source for leaf in proof.leaves() if isinstance(leaf, Fact)}
    assert sources["owner(policy,bank)"].kind == "knowledge"
    assert sources["under_review(bank)"].details["inferred"] is True


def test_all_gives_every_mapped_fact(tmp_path: Path) -> None:
    engine = Engine.from_bundle(make(tmp_path, 'entities = "all"'))
    decision = engine.decide(case(50))
    assert {fact.fact for fact in decision.facts} == {
        "amount(case,50)", "limit(policy,100)", "limit(other,5)", "owner(policy,bank)",
        "under_review(bank)"}
    assert decision.alternatives["approve"] == pytest.approx(0.8)


def test_a_case_entity_that_is_also_shared_is_one_fact(tmp_path: Path) -> None:
    engine = Engine.from_bundle(make(tmp_path, 'entities = ["policy"]',
                                     'account = { type = "entity", predicate = "account" }'))
    decision = engine.decide({"id": "c", "record": {"amount": 50, "account": "policy"}})
    names = [fact.fact for fact in decision.facts]
    assert len(names) == len(set(names)) == 5  # amount, account and policy's three facts
    assert decision.alternatives["approve"] == pytest.approx(0.8)


def test_no_entities_no_shared_facts(tmp_path: Path) -> None:
    engine = Engine.from_bundle(make(tmp_path, ""))
    decision = engine.decide(case(50))
    assert [f.fact for f in decision.facts] == ["amount(case,50)"]
    assert decision.label == "refer"


@pytest.mark.parametrize(("entities", "message"), [
    ("entities = 3", 'entities is "all" or a list of atoms'),
    ('entities = "everything"', 'entities is "all" or a list of atoms'),
    ('entities = ["policy", ""]', 'entities is "all" or a list of atoms'),
    ('entities = ["zz:policy"]', "entities: unknown prefix 'zz'"),
    ('entities = "all"\nconstruct = "CONSTRUCT { ?entity ?p ?o } WHERE { ?entity ?p ?o }"',
     "a construct query cannot select"),
])
def test_bad_entities_are_knowledge_errors(tmp_path: Path, entities: str, message: str) -> None:
    root = make(tmp_path, entities)
    with pytest.raises(KnowledgeError, match=message) as caught:
        Engine.from_bundle(root)
    # nesy check says the same, at the entities line of bundle.toml
    (diagnostic,) = check_bundle(root)
    assert diagnostic.code == "bundle"
    assert diagnostic.message == caught.value.message.removeprefix(
        f"{root / 'bundle.toml'}: ")
    toml = (root / "bundle.toml").read_text().splitlines()
    assert toml[(diagnostic.location.line or 0) - 1].startswith("entities = ")


def test_an_entity_the_graph_does_not_know(tmp_path: Path) -> None:
    root = make(tmp_path, 'entities = ["policy", "nobody"]')
    with pytest.raises(KnowledgeError, match="says nothing about 'nobody'"):
        Engine.from_bundle(root)
    assert check_bundle(root) == []  # the checker reads no graph


def test_a_bad_case_still_names_its_field(engine: Engine) -> None:
    with pytest.raises(InputError, match="amount"):
        engine.decide({"id": "c", "record": {"amount": "many"}})
