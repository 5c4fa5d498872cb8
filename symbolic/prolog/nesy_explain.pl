:- module(nesy_explain,
          [ nesy_why_not/3,           % +Module, +Goal:string, -Text
            nesy_why_not/4            % +Module, +Goal:string, +Facts:string, -Text
          ]).

/** <module> Why a goal is not derived

For each clause of the program whose head unifies with a goal, walk its body
from left to right, trying every way to satisfy it, and note the furthest
sub-goal at which every attempt failed.  A sub-goal that fails there fails
outright: in no possible world does the rule get past it.  Probabilistic
goals count as satisfiable when some world derives them.

The facts of external predicates come with each call, as for grounding
(nesy_ground/5): the walk sees exactly those of the call whose probability
is above 0, and they are gone from the module when it returns.

The result is text, a record a line:

    s <clause>                    the body of <clause> can succeed
    f <clause> <goal>             every attempt at <clause> fails at <goal>
    x <clause> <message>          the walk of <clause> raised an error
*/

:- use_module(library(lists)).
:- use_module(library(time)).
:- use_module(nesy_program).
:- use_module(nesy_ground, [load_facts/2]).

%!  nesy_why_not(+M, +Goal:string, -Text:string) is det.
%
%   The walk without external facts.
nesy_why_not(M, GoalText, Text) :-
    nesy_why_not(M, GoalText, "", Text).

%!  nesy_why_not(+M, +Goal:string, +Facts:string, -Text:string) is det.
%
%   Facts holds the facts of external predicates for this call, in the
%   records of nesy_ground/5; a fact with probability 0 is absent.  The
%   tables are abolished before and after: their answers depend on the facts.
nesy_why_not(M, GoalText, Facts, Text) :-
    nesy_read_goal(GoalText, Goal, Error),
    (   Error \== ""
    ->  Text = ""
    ;   setup_call_cleanup(
            start_walk(M, Facts),
            with_output_to(string(Text), why_not(M, Goal)),
            end_walk(M))
    ).

start_walk(M, Facts) :-
    end_walk(M),
    load_facts(M, Facts),
    forall(( M:'$nesy_ext'(A, P), P =:= 0 ),
           retract(M:'$nesy_ext'(A, P))).

end_walk(M) :-
    retractall(M:'$nesy_ext'(_, _)),
    catch(abolish_module_tables(M), _, true).

%   A goal that fails outright and is itself defined by rules is followed
%   into its own clauses, a few levels deep.
why_not(M, Goal) :-
    why_not(M, Goal, 1).

why_not(M, Goal, Depth) :-
    forall(( M:'$nesy_clause'(K, Heads, Body, _, _),
             \+ \+ ( member(head(H, _, _), Heads), H = Goal )
           ),
           clause_report(M, K, Heads, Body, Goal, Depth)).

clause_report(M, K, Heads, Body, Goal, Depth) :-
    copy_term(Heads-Body, Heads1-Body1),
    once(( member(head(H, _, _), Heads1), H = Goal )),
    conjuncts(Body1, Goals),
    nb_setval(nesy_why_best, none),
    catch(call_with_time_limit(1.0, walk_result(M, Goals, Result)),
          E,
          Result = error(E)),
    report(K, Result),
    (   Result = failed(_, G),
        Depth < 3,
        callable(G),
        functor(G, N, A),
        M:'$nesy_defined'(N, A),
        \+ M:'$nesy_prob'(N, A)
    ->  D1 is Depth + 1,
        why_not(M, G, D1)
    ;   true
    ).

walk_result(M, Goals, Result) :-
    (   walk(M, Goals, 1)
    ->  Result = succeeds
    ;   nb_getval(nesy_why_best, Result)
    ).

report(K, succeeds) :- !, format('s ~d~n', [K]).
report(K, failed(_, G)) :- !,
    with_output_to(string(S), print_goal(G)),
    format('f ~d ~s~n', [K, S]).
report(K, error(E)) :- !,
    message_line(E, Message),
    format('x ~d ~w~n', [K, Message]).
report(_, _).

print_goal(G) :-
    copy_term(G, C),
    numbervars(C, 0, _),
    write_term(C, [quoted(true), numbervars(true), spacing(next_argument)]).

message_line(time_limit_exceeded, 'the walk took too long') :- !.
message_line(E, Message) :-
    (   catch(message_to_codes(E, Codes), _, fail)
    ->  atom_codes(Message0, Codes)
    ;   format(atom(Message0), '~q', [E])
    ),
    split_string(Message0, "\n", " ", Parts),
    atomic_list_concat(Parts, ' ', Message).

message_to_codes(E, Codes) :-
    '$messages':translate_message(E, Lines, []),
    with_output_to(codes(Codes), print_message_lines(current_output, '', Lines)).

conjuncts(B, [B]) :- var(B), !.
conjuncts((A, B), Gs) :- !, conjuncts(A, GA), conjuncts(B, GB), append(GA, GB, Gs).
conjuncts(true, []) :- !.
conjuncts(G, [G]).

walk(_, [], _).
walk(M, [G|Gs], I) :-
    (   possible(M, G)
    *-> I1 is I + 1,
        walk(M, Gs, I1)
    ;   note_failure(I, G),
        fail
    ).

note_failure(I, G) :-
    nb_getval(nesy_why_best, Best),
    (   Best = failed(J, _), J >= I
    ->  true
    ;   copy_term(G, C),
        nb_setval(nesy_why_best, failed(I, C))
    ).

%   Negation of a probabilistic goal may hold in some world: possible.
possible(M, G) :-
    (   var(G)
    ->  fail
    ;   G = (\+ A), prob_goal(M, A)
    ->  true
    ;   G = not(A), prob_goal(M, A)
    ->  true
    ;   M:G
    ).

prob_goal(M, G) :-
    callable(G),
    (   G = (A, B) -> ( prob_goal(M, A) ; prob_goal(M, B) )
    ;   G = (A ; B) -> ( prob_goal(M, A) ; prob_goal(M, B) )
    ;   functor(G, N, A), M:'$nesy_prob'(N, A)
    ).
