"""Seeded generator of small random ProbLog programs for differential testing.

``random_program(seed)`` returns the text of one valid, stratified ProbLog program. The same
seed always gives the same text, so a failing seed can be replayed and shrunk by hand.

What a program contains:

* Layer 0 (facts only):
  - ``dom/1``: the constants ``c0 .. cN`` (deterministic facts), the domain that binds
    variables before a negated or arithmetic goal;
  - ``num/2``: a small integer per constant (deterministic facts), used by ``is/2``,
    comparisons and ``between/3``;
  - ``b0/1``, ``b1/1``: probabilistic facts, sometimes deterministic, with probability 0 or 1,
    written as an expression (``1/4::``), or repeated (``0.5::b0(c1). 0.5::b0(c1).``);
  - ``e/2``: a small random directed graph with probabilistic and deterministic edges,
    self-loops and cycles;
  - ``ad0/2``: annotated disjunctions without a body, of mass below 1 or exactly 1.
* Layer 1 always holds ``reach/2``, the recursive (cyclic) reachability over ``e/2``.
* Layers 1..L hold unary predicates ``hIx/1`` and sometimes an annotated disjunction with a
  body, ``kI/2``. Each ``hIx`` has a positive "base" clause over a lower layer, so every
  predicate has answers, plus up to three more clauses drawn from: negation of a lower-layer
  goal, arithmetic (``is/2``, ``< > =< >= =:= =\\=``), ``member/2``, ``between/3``, ``\\=``,
  disjunction in the body, and positive recursion inside the layer (through ``e/2`` or another
  predicate of the same layer, which makes positive cycles). Any clause may carry a
  probability, including clauses with variables that occur only in the body.

Stratification: layer ``i`` uses layers below ``i`` positively or negatively and layer ``i``
only positively, so negation never sits on a cycle. Every negated goal is ground when called,
because a positive goal that binds its variables comes first.

Queries: two to four ground atoms, mostly from the top layers so that they share sub-goals,
and sometimes non-ground queries (``query(h1a(_))``, ``query(reach(c0,_))``). Evidence
(``evidence(A)``, ``evidence(A,true)``, ``evidence(A,false)``) is added to about 40% of the
programs, on atoms that are usually possible; about 4% of the programs have inconsistent
evidence, on purpose.

Three restrictions keep the programs inside what ProbLog 2.3.0 itself answers reliably:

* non-ground queries only go on predicates whose definition uses no negation at any depth:
  ProbLog drops an answer whose ground formula its simplifier reduces to false
  (``p(X), \\+ p(X)``) but keeps other probability-0 answers, so with negation the set of
  keys depends on its simplifier rather than on the semantics;
* evidence only goes on atoms that depend on no recursive predicate (see
  ``_outside_cycles``), to avoid an ``AssertionError`` in ProbLog's cycle breaking;
* a predicate that may run inside an open recursion never negates a goal that depends on a
  recursive predicate (see ``_drop_negation_under_cycles``), to avoid a false
  ``NegativeCycle`` error.

Sizes are tuned so that ProbLog answers each program in well under 0.5 s.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

__all__ = ["random_program"]

_TENTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9]
_VAR = "X"
_NEGATED = re.compile(r"\\\+ (\w+)\(")


@dataclass
class _Pred:
    """A generated predicate: name, arity, layer and the clauses that define it."""

    name: str
    arity: int
    layer: int
    clauses: list[str] = field(default_factory=list)
    negates: bool = False
    uses: set[str] = field(default_factory=set)


@dataclass
class _Gen:
    """State of one generation run: the random source and what has been generated."""

    rng: random.Random
    consts: list[str]
    preds: dict[str, _Pred] = field(default_factory=dict)
    evidence_pool: list[str] = field(default_factory=list)
    uses_lists: bool = False

    def prob(self) -> str:
        """A probability strictly between 0 and 1, sometimes written as an expression."""
        roll = self.rng.random()
        if roll < 0.1:
            return self.rng.choice(["1/4", "1/3", "2/3", "1-0.35", "0.5*0.5"])
        if roll < 0.25:
            return self.rng.choice(["0.25", "0.75", "0.15", "0.05", "0.95"])
        return f"0.{self.rng.choice(_TENTHS)}"

    def below(self, layer: int) -> list[_Pred]:
        """Predicates of the layers under ``layer``, except the helper ``num/2``."""
        return [p for p in self.preds.values() if p.layer < layer and p.name != "num"]


def _lit(pred: _Pred, var: str, rest: str) -> str:
    """A goal on ``pred`` with ``var`` as first argument and ``rest`` as second, if any."""
    return f"{pred.name}({var})" if pred.arity == 1 else f"{pred.name}({var},{rest})"


def _add(gen: _Gen, pred: _Pred) -> _Pred:
    """Register ``pred`` so later layers can use it, and return it."""
    gen.preds[pred.name] = pred
    return pred


# ---------------------------------------------------------------------------------- layer 0


def _facts(gen: _Gen) -> None:
    """Layer 0: domain, numbers, probabilistic facts, the graph and body-less ADs."""
    dom = _add(gen, _Pred("dom", 1, 0))
    num = _add(gen, _Pred("num", 2, 0))
    for c in gen.consts:
        dom.clauses.append(f"dom({c}).")
        num.clauses.append(f"num({c},{gen.rng.randint(0, 4)}).")
    for name in ("b0", "b1"):
        _prob_facts(gen, _add(gen, _Pred(name, 1, 0)))
    _graph(gen, _add(gen, _Pred("e", 2, 0)))
    _body_less_ads(gen, _add(gen, _Pred("ad0", 2, 0)))


def _prob_facts(gen: _Gen, pred: _Pred) -> None:
    """Unary facts on a non-empty random subset of constants, in all annotation styles."""
    chosen = gen.rng.sample(gen.consts, gen.rng.randint(1, len(gen.consts) - 1))
    for c in chosen:
        atom = f"{pred.name}({c})"
        roll = gen.rng.random()
        if roll < 0.12:
            pred.clauses.append(f"{atom}.")
        elif roll < 0.2:
            pred.clauses.append(f"{gen.rng.choice(['0.0', '1.0', '0', '1'])}::{atom}.")
        else:
            pred.clauses.append(f"{gen.prob()}::{atom}.")
            gen.evidence_pool.append(atom)
            if gen.rng.random() < 0.1:
                pred.clauses.append(f"{gen.prob()}::{atom}.")


def _graph(gen: _Gen, pred: _Pred) -> None:
    """A random directed graph; c0 always has an out-edge, cycles and self-loops occur."""
    pairs = [(a, b) for a in gen.consts for b in gen.consts]
    edges = {(gen.consts[0], gen.rng.choice(gen.consts[1:]))}
    edges.update(gen.rng.sample(pairs, gen.rng.randint(2, len(gen.consts) + 1)))
    for a, b in sorted(edges):
        if gen.rng.random() < 0.15:
            pred.clauses.append(f"e({a},{b}).")
        else:
            pred.clauses.append(f"{gen.prob()}::e({a},{b}).")
            gen.evidence_pool.append(f"e({a},{b})")


def _ad_probs(gen: _Gen, heads: int, full: bool) -> list[str]:
    """Probabilities in tenths for an AD: summing to exactly 1 if ``full``, else below 1."""
    total = 10 if full else gen.rng.randint(heads, 9)
    cuts = sorted(gen.rng.sample(range(1, total), heads - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    return [f"0.{p}" if p < 10 else "1.0" for p in parts]


def _ad(gen: _Gen, name: str, first: str, body: str) -> str:
    """An annotated disjunction over ``name(first, vK)`` with two or three heads."""
    heads = gen.rng.randint(2, 3)
    probs = _ad_probs(gen, heads, full=gen.rng.random() < 0.5)
    disj = "; ".join(f"{p}::{name}({first},v{k})" for k, p in enumerate(probs))
    return f"{disj} :- {body}." if body else f"{disj}."


def _body_less_ads(gen: _Gen, pred: _Pred) -> None:
    """One or two ADs without a body, one per chosen constant."""
    for c in gen.rng.sample(gen.consts, gen.rng.randint(1, 2)):
        pred.clauses.append(_ad(gen, "ad0", c, ""))
        gen.evidence_pool.append(f"ad0({c},v{gen.rng.randint(0, 1)})")


# ---------------------------------------------------------------------------- upper layers


def _reach(gen: _Gen) -> None:
    """Layer 1: transitive closure of the graph (recursive, cyclic, negation-free)."""
    pred = _add(gen, _Pred("reach", 2, 1, uses={"e", "reach"}))
    pred.clauses += ["reach(X,Y) :- e(X,Y).", "reach(X,Y) :- e(X,Z), reach(Z,Y)."]


def _positive(gen: _Gen, head: _Pred, var: str, below: int) -> str:
    """A positive goal binding ``var``, on a lower layer; records the dependency."""
    pred = gen.rng.choice(gen.below(below))
    head.uses.add(pred.name)
    return _lit(pred, var, "_")


def _negative(gen: _Gen, head: _Pred, var: str) -> str:
    """A negated goal on a lower layer (never ``dom/1``); ``var`` must already be bound."""
    pred = gen.rng.choice([p for p in gen.below(head.layer) if p.name != "dom"])
    head.negates = True
    head.uses.add(pred.name)
    if pred.name in ("e", "reach"):
        second = gen.rng.choice(gen.consts)
    else:
        second = f"v{gen.rng.randint(0, 2)}"
    return "\\+ " + _lit(pred, var, second)


def _builtin(gen: _Gen) -> str:
    """An arithmetic or comparison test on ``num/2`` of the (bound) head variable."""
    op = gen.rng.choice([">", "<", ">=", "=<", "=:=", "=\\="])
    k = gen.rng.randint(0, 4)
    if gen.rng.random() < 0.5:
        return f"num(X,N), N {op} {k}"
    return f"num(X,N), M is N * 2 + 1, M {op} {2 * k + 1}"


def _same_layer(gen: _Gen, head: _Pred) -> _Pred:
    """A unary predicate already created in ``head``'s layer (possibly ``head`` itself)."""
    peers = [p for p in gen.preds.values() if p.layer == head.layer and p.arity == 1]
    return gen.rng.choice(peers)


def _extra_body(gen: _Gen, head: _Pred) -> str:
    """The body of one non-base clause for ``head``, drawn from the feature templates."""
    below = head.layer
    kind = gen.rng.choice(
        ["neg", "neg", "arith", "member", "between", "neq", "rec", "rec", "or", "and"]
    )
    pos = _positive(gen, head, _VAR, below)
    if kind == "neg":
        return f"{pos}, {_negative(gen, head, _VAR)}"
    if kind == "arith":
        return f"{pos}, {_builtin(gen)}"
    if kind == "member":
        gen.uses_lists = True
        subset = ",".join(gen.rng.sample(gen.consts, 2))
        return f"member(X,[{subset}]), {pos}"
    if kind == "between":
        return f"between(0,2,K), num(X,K), {pos}"
    if kind == "neq":
        return f"{pos}, {_positive(gen, head, 'Y', below)}, X \\= Y"
    if kind == "rec":
        peer = _same_layer(gen, head)
        head.uses.add(peer.name)
        if gen.rng.random() < 0.5:
            return f"e(X,Y), {peer.name}(Y)"
        return f"{peer.name}(X), {pos}"
    if kind == "or":
        return f"dom(X), ({pos} ; {_positive(gen, head, _VAR, below)})"
    return f"{pos}, {_positive(gen, head, _VAR, below)}"


def _clause(gen: _Gen, head: _Pred, body: str) -> str:
    """A rule for ``head`` with ``body``, probabilistic about a third of the time."""
    # ProbLog rejects a probabilistic clause left with an unbound variable, which happens
    # when a body-only variable sits in the branch of a disjunction that was not taken.
    may_label = not (";" in body and "_" in body)
    label = f"{gen.prob()}::" if may_label and gen.rng.random() < 0.35 else ""
    return f"{label}{head.name}(X) :- {body}."


def _layer(gen: _Gen, layer: int) -> None:
    """Create the predicates of one layer: unary ``hLx`` and sometimes an AD ``kL/2``."""
    if gen.rng.random() < 0.5:
        k = _add(gen, _Pred(f"k{layer}", 2, layer))
        body = _positive(gen, k, _VAR, layer)
        k.clauses.append(_ad(gen, k.name, "X", body))
        gen.evidence_pool.append(f"{k.name}({gen.rng.choice(gen.consts)},v0)")
    heads = [
        _add(gen, _Pred(f"h{layer}{chr(97 + i)}", 1, layer)) for i in range(gen.rng.randint(2, 3))
    ]
    for head in heads:
        if gen.rng.random() < 0.3:
            base = _binary_base(gen, head, layer)
        else:
            base = _positive(gen, head, _VAR, layer)
        head.clauses.append(_clause(gen, head, base))
    for head in heads:
        for _ in range(gen.rng.randint(1, 3)):
            head.clauses.append(_clause(gen, head, _extra_body(gen, head)))
        gen.evidence_pool.append(f"{head.name}({gen.rng.choice(gen.consts)})")


def _binary_base(gen: _Gen, head: _Pred, layer: int) -> str:
    """A base body on a binary lower predicate, so ``Y`` occurs only in the body."""
    binary = [p for p in gen.below(layer) if p.arity == 2]
    pred = gen.rng.choice(binary)
    head.uses.add(pred.name)
    return f"{pred.name}(X,Y)"


# --------------------------------------------------------------------- queries, evidence


def _negation_free(gen: _Gen) -> set[str]:
    """Names of predicates whose definition uses no negation, at any depth."""
    free = {name for name, p in gen.preds.items() if not p.negates}
    changed = True
    while changed:
        changed = False
        for name in list(free):
            if not gen.preds[name].uses <= free:
                free.discard(name)
                changed = True
    return free


def _closure(gen: _Gen, name: str) -> set[str]:
    """Names of the predicates that ``name`` depends on, directly or indirectly."""
    seen: set[str] = set()
    todo = list(gen.preds[name].uses)
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo += gen.preds[dep].uses
    return seen


def _outside_cycles(gen: _Gen) -> set[str]:
    """Predicates that depend on no recursive predicate (nor are recursive themselves).

    Evidence goes only on atoms of these: ProbLog 2.3.0 fails with an AssertionError in its
    cycle breaking when evidence depends on a cyclic atom that is also certainly true
    (``0.7::e. a :- a. a :- e. a. evidence(a). query(e).``).
    """
    closures = {name: _closure(gen, name) for name in gen.preds}
    cyclic = {name for name, deps in closures.items() if name in deps}
    return {name for name, deps in closures.items() if not (deps | {name}) & cyclic}


def _drop_negation_under_cycles(gen: _Gen) -> None:
    """Drop clauses that negate a recursive goal while another recursion may be open.

    The program stays stratified either way, but ProbLog 2.3.0 reports a false
    ``NegativeCycle`` when, during the evaluation of a cyclic goal, it meets the negation of a
    goal that itself depends on a cycle (``0.6::s. 0.5::t. r :- s, r. r :- t. g :- s, g.
    g :- \\+ r. query(g).``), and the answer depends on the order of the queries.
    """
    closures = {name: _closure(gen, name) for name in gen.preds}
    cyclic = {name for name, deps in closures.items() if name in deps}
    under = {dep for name in cyclic for dep in closures[name]}
    recursive_cone = {name for name, deps in closures.items() if (deps | {name}) & cyclic}
    for name in under:
        pred = gen.preds[name]
        pred.clauses = [c for c in pred.clauses if not set(_NEGATED.findall(c)) & recursive_cone]


def _queries(gen: _Gen, top: int) -> list[str]:
    """Ground queries from the upper layers, sometimes non-ground negation-free queries."""
    unary = [p for p in gen.preds.values() if p.layer >= 1 and p.arity == 1]
    weighted = [p for p in unary for _ in range(1 + (p.layer == top))]
    queries = []
    for _ in range(gen.rng.randint(2, 4)):
        pred = gen.rng.choice(weighted)
        queries.append(f"query({pred.name}({gen.rng.choice(gen.consts)})).")
    if gen.rng.random() < 0.5:
        a, b = gen.rng.sample(gen.consts, 2)
        queries.append(f"query(reach({a},{b})).")
    free = sorted(_negation_free(gen) & {p.name for p in unary})
    if free and gen.rng.random() < 0.5:
        queries.append(f"query({gen.rng.choice(free)}(_)).")
    if gen.rng.random() < 0.25:
        queries.append(f"query(reach({gen.consts[0]},_)).")
    return queries


def _evidence(gen: _Gen) -> list[str]:
    """Zero to two evidence facts on atoms that are usually possible (about 40% of runs)."""
    if gen.rng.random() >= 0.4:
        return []
    safe = _outside_cycles(gen)
    pool = [a for a in gen.evidence_pool if a.split("(")[0] in safe]
    atoms = gen.rng.sample(pool, min(len(pool), gen.rng.randint(1, 2)))
    forms = ["evidence({},true).", "evidence({},false).", "evidence({})."]
    return [gen.rng.choice(forms).format(a) for a in atoms]


def random_program(seed: int) -> str:
    """The text of a random stratified ProbLog program, fully determined by ``seed``."""
    rng = random.Random(seed)
    gen = _Gen(rng, [f"c{i}" for i in range(rng.randint(3, 5))])
    _facts(gen)
    _reach(gen)
    top = gen.rng.randint(2, 3)
    for layer in range(1, top + 1):
        _layer(gen, layer)
    _drop_negation_under_cycles(gen)
    lines = [f"% random program, seed {seed}"]
    if gen.uses_lists:
        lines.append(":- use_module(library(lists)).")
    for pred in gen.preds.values():
        lines += pred.clauses
    lines += _queries(gen, top) + _evidence(gen)
    return "\n".join(lines) + "\n"
