"""The Program API: queries, evidence, cached re-evaluation, torch, errors, limits, safety."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

from nesy.errors import (
    InconsistentEvidenceError,
    InferenceLimitError,
    InputError,
    ProgramError,
    RuleSyntaxError,
)
from symbolic import Limits, Program, Term, Var

GRAPH = """
0.6::edge(a,b). 0.5::edge(b,c). 0.7::edge(c,a). 0.3::edge(a,c). 0.8::edge(c,d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
query(path(a,d)).
"""


def test_query_returns_problog_keys_and_values() -> None:
    result = Program.from_string(GRAPH).query()
    assert list(result) == ["path(a,d)"]
    assert result["path(a,d)"] == pytest.approx(0.408, abs=1e-12)


def test_ad_hoc_queries_with_variables_and_evidence() -> None:
    program = Program.from_string(GRAPH)
    answers = program.query("path(a,X)")
    assert set(answers) == {"path(a,a)", "path(a,b)", "path(a,c)", "path(a,d)"}
    conditioned = program.query("path(a,d)", evidence={"edge(a,b)": False})
    # without a->b the only way is a->c->d
    assert conditioned["path(a,d)"] == pytest.approx(0.3 * 0.8, abs=1e-12)
    assert program.probability(Term("path", "a", "d")) == pytest.approx(0.408)
    assert program.query(Term("path", "a", Var("Y")))["path(a,b)"] == pytest.approx(0.6)


def test_new_probabilities_reuse_the_compiled_circuit() -> None:
    program = Program.from_string(GRAPH)
    program.query()
    assert program.groundings == 1
    for p in (0.0, 0.25, 1.0):
        result = program.query(weights={"edge(c,d)": p})
        assert result["path(a,d)"] == pytest.approx(0.51 * p, abs=1e-12)
    assert program.groundings == 1
    rewritten = Program.from_string(GRAPH.replace("0.8::edge(c,d)", "0.25::edge(c,d)"))
    assert rewritten.query() == pytest.approx(program.query(weights={"edge(c,d)": 0.25}))


def test_compiled_query_evaluates_in_torch_with_gradients() -> None:
    torch = pytest.importorskip("torch")
    compiled = Program.from_string(GRAPH).compile()
    base = compiled.parameter_tensor()
    batch = torch.stack([base, base * 0.5]).requires_grad_(True)
    values = compiled.evaluate_torch(batch)
    assert values.shape == (2, 1)
    assert float(values[0, 0].detach()) == pytest.approx(0.408, abs=1e-12)
    second = compiled.evaluate({p.name: float(v) for p, v in zip(compiled.parameters,
                                                                 base * 0.5, strict=True)})
    assert float(values[1, 0].detach()) == pytest.approx(second["path(a,d)"], abs=1e-12)
    values[0, 0].backward()
    names = [p.name for p in compiled.parameters]
    i = names.index("edge(c,d)")
    eps = 1e-6
    up = compiled.evaluate({"edge(c,d)": 0.8 + eps})["path(a,d)"]
    down = compiled.evaluate({"edge(c,d)": 0.8 - eps})["path(a,d)"]
    assert float(batch.grad[0, i]) == pytest.approx((up - down) / (2 * eps), abs=1e-6)


def test_annotated_disjunction_weights_and_torch_agree() -> None:
    pytest.importorskip("torch")
    program = Program.from_string("""
        0.2::c(red); 0.5::c(green); 0.3::c(blue).
        warm :- c(red). warm :- c(blue).
        query(warm).""")
    assert program.query()["warm"] == pytest.approx(0.5)
    assert program.query(weights={"c(red)": 0.1, "c(blue)": 0.1})["warm"] == pytest.approx(0.2)
    compiled = program.compile()
    vector = compiled.parameter_tensor({"c(red)": 0.1, "c(blue)": 0.6})
    assert float(compiled.evaluate_torch(vector)[0]) == pytest.approx(0.7)
    with pytest.raises(InputError, match="sum to"):
        program.query(weights={"c(red)": 0.9})


@pytest.mark.parametrize("weights, match", [
    ({"edge(x,y)": 0.5}, "no probabilistic fact edge"),
    ({"edge(c,d)": 1.5}, r"\[0,1\]"),
    ({"edge(c,d)": math.nan}, r"\[0,1\]"),
])
def test_bad_weights_name_the_key(weights: dict[str, float], match: str) -> None:
    with pytest.raises(InputError, match=match):
        Program.from_string(GRAPH).query(weights=weights)


def test_every_syntax_error_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.pl"
    path.write_text("a(1).\nb(( .\nc(2).\nd :- e f.\ng.\n")
    with pytest.raises(RuleSyntaxError) as info:
        Program.from_file(path)
    assert [(e[0].line, e[0].column) for e in info.value.errors] == [(2, 5), (4, 8)]
    assert info.value.file == str(path)
    assert str(info.value).startswith(f"{path}:2:5:")


@pytest.mark.parametrize("text, error, match", [
    ("1.5::a. query(a).", ProgramError, r"1:1: probability 1\.5 is outside \[0,1\]"),
    ("nan::a. query(a).", ProgramError, "outside"),
    ("0.6::a; 0.6::b. query(a).", ProgramError, "sum to 1.2"),
    ("a :- shell('ls'). query(a).", ProgramError, "forbidden goal shell/1"),
    ("a :- halt. query(a).", ProgramError, "forbidden goal halt/0"),
    ("a :- open(f, read, _). query(a).", ProgramError, "forbidden goal open/3"),
    ("a :- assertz(b). query(a).", ProgramError, "forbidden goal assertz/1"),
    (":- consult(other). a.", ProgramError, "not allowed"),
    (":- initialization(shell(ls)). a.", ProgramError, "not allowed"),
    ("p :- \\+ q. q :- \\+ p. query(p).", ProgramError, "not stratified: p/0, q/0"),
    ("atom_length(a, 1). query(a).", ProgramError, "cannot redefine"),
    ("query(unknown_thing).", InputError, "unknown predicate unknown_thing/0"),
    ("a :- b. query(a).", InputError, "1:6: unknown predicate b/0"),
    ("0.5::a. evidence(a, true). evidence(a, false). query(a).", InconsistentEvidenceError,
     "inconsistent"),
])
def test_bad_programs_raise_the_matching_error(text: str, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Program.from_string(text).query()


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        Program.from_file(tmp_path / "missing.pl")


def test_engine_stays_usable_after_errors() -> None:
    for text in ("a :- .", "1.5::a.", "query(zzz).", "a :- shell(x)."):
        with pytest.raises((RuleSyntaxError, ProgramError, InputError)):
            Program.from_string(text).query()
    assert Program.from_string("0.5::a. query(a).").query() == {"a": 0.5}


def test_left_recursion_and_cycles_terminate() -> None:
    program = Program.from_string("""
        0.5::e(1,2). 0.5::e(2,1). 0.5::e(2,3).
        p(X,Y) :- p(X,Z), e(Z,Y).
        p(X,Y) :- e(X,Y).
        query(p(1,3)).""")
    assert program.query()["p(1,3)"] == pytest.approx(0.25)


def test_time_limit_is_prompt_and_the_next_call_works() -> None:
    program = Program.from_string("""
        count(N) :- between(1, 100000000, X), X > N.
        0.5::a.
        slow :- a, count(200000000).
        query(slow).""")
    start = time.monotonic()
    with pytest.raises(InferenceLimitError, match="time") as info:
        program.query(limits=Limits(time=0.5))
    assert info.value.limit == "time"
    assert time.monotonic() - start < 5
    assert Program.from_string("0.5::a. query(a).").query() == {"a": 0.5}


def test_size_and_depth_limits() -> None:
    many = Program.from_string("0.5::p(X) :- between(1, 5000, X). q :- p(_). query(q).")
    with pytest.raises(InferenceLimitError, match="max_ground") as info:
        many.query(limits=Limits(max_ground=1000))
    assert info.value.limit == "size"
    assert many.query()["q"] == pytest.approx(1 - 0.5 ** 5000)
    deep = Program.from_string("0.5::a. nat(z). nat(s(X)) :- nat(X). q :- a, nat(_). query(q).")
    with pytest.raises(InferenceLimitError) as info:
        deep.query(limits=Limits(max_depth=200, time=10))
    assert info.value.limit in ("depth", "size", "time")


def test_programs_do_not_see_each_other() -> None:
    first = Program.from_string("0.5::a. b :- a. query(b).")
    second = Program.from_string("0.2::a. c :- a. query(c).")
    assert first.query() == {"b": 0.5}
    assert second.query() == {"c": 0.2}
    with pytest.raises(InputError, match="unknown predicate c/0"):
        first.query("c")


@pytest.mark.parametrize("atom", ["x), halt, (y", "'); shell('echo pwned", "a\nb", "X"])
def test_python_strings_stay_plain_atoms(atom: str, tmp_path: Path) -> None:
    program = Program.from_string("0.5::p(X) :- q(X). q(_).")
    result = program.query(Term("p", atom))
    assert list(result.values()) == [0.5]
    assert program.probability(Term("p", atom), evidence={Term("q", atom): True}) == 0.5
    assert not (tmp_path / "pwned").exists()


def test_threads_share_the_engine_safely() -> None:
    programs = [Program.from_string(f"{(i + 1) / 10}::a. 0.5::b. c :- a, b. query(c).")
                for i in range(8)]
    expected = [p.query() for p in programs]
    failures: list[str] = []

    def work(i: int) -> None:
        for n in range(50):
            got = programs[i].query("c", evidence={"b": True}) if n % 2 else programs[i].query()
            want = {"c": (i + 1) / 10} if n % 2 else expected[i]
            if got != pytest.approx(want):
                failures.append(f"thread {i}: {got} != {want}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_neural_predicate_syntax_parses_and_needs_probabilities() -> None:
    program = Program.from_string("""
        nn(mnist_net, [X], Y, [0, 1, 2]) :: digit(X, Y).
        addition(X, Y, Z) :- digit(X, N1), digit(Y, N2), Z is N1 + N2.
        query(addition(img1, img2, 2)).""")
    with pytest.raises(InputError, match="neural predicate mnist_net"):
        program.query()
    weights = {"digit(img1,0)": 0.2, "digit(img1,1)": 0.3, "digit(img1,2)": 0.5,
               "digit(img2,0)": 0.6, "digit(img2,1)": 0.3, "digit(img2,2)": 0.1}
    expected = 0.2 * 0.1 + 0.3 * 0.3 + 0.5 * 0.6
    assert program.query(weights=weights)["addition(img1,img2,2)"] == pytest.approx(expected)
