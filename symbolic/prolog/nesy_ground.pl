:- module(nesy_ground,
          [ nesy_ground/4,            % +Module, +Requests, +Limits, -Text
            nesy_ground/5,            % +Module, +Requests, +Limits, +Facts, -Text
            load_facts/2,             % +Module, +Facts
            rec/3,                    % +Clause, +Head, +Literals
            rec_choice/6,             % +Clause, +HeadIndex, +Head, +Literals, +Key, +Spec
            neg/3,                    % +Module, +Atom, +Offset
            call_goal/4,              % +Module, +Goal, +Lits0, -Lits
            neg_goal/4,               % +Module, +Goal, +Lits0, -Lits
            undefined/2               % +Goal, +Offset
          ]).

/** <module> Relevant grounding of a translated program

nesy_ground/4 calls the query and evidence goals in the program's module.
Its predicates are tabled, so recursion and cycles terminate and each
subgoal is solved once; each translated clause that succeeds calls rec/3 or
rec_choice/6, which number its ground atoms and store its ground instance.
Only what the queries and evidence reach is grounded.

When explaining, the ground clauses also hold the deterministic atoms their
bodies used (always true, so the formula is the same) and those atoms'
derivations, so that a proof can show them.

The ground program crosses to Python as one text, a record a line:

    a <id> <atom>                 ground atom <id>, written as ProbLog does
    t <id>                        atom <id> is deterministically true
    q <query> <id>                an answer of query <query>
    e <evidence> <id> <0|1>       an evidence atom and its value
    c <head> <choice> <i> <clause> <lit>*  a ground instance of clause
                                  <clause>; choice 0 for none, literal -<id>
                                  for \+ atom
    g <id> <goal>                 atom <id> stands for a negated conjunction
    v <choice> <clause>           a choice (annotated disjunction instance)
    p <choice> <i> <prob>         probability of head i of a flexible choice
    n <choice> <net>(\t<input>)*  a choice made by a neural predicate, on these inputs
    x <kind> <offset> <clause> <message>   an error instead of a result
*/

:- use_module(library(lists)).
:- use_module(library(time)).
:- use_module(library(apply)).
:- use_module(nesy_write).
:- use_module(nesy_builtins).
:- use_module(nesy_program).

:- dynamic
    gclause/5,                        % Head, Choice, HeadIndex, Literals, Clause
    gchoice/2,                        % Choice, Clause
    gprob/3,                          % Choice, HeadIndex, Probability
    gneural/3,                        % Choice, Net, Inputs (the key)
    gtrue/1,                          % Atom
    ganswer/3,                        % Kind(q|e), Index, Atom-Value
    pending/1.                        % Atom whose clauses are still to record

%!  nesy_ground(+M, +Requests:list, +Limits, -Text:string) is det.
%
%   Requests holds q(Index, Goal) and e(Index, Atom, Value) terms, or pq(I)
%   and pe(I) for the file's own query and evidence I.  Limits is
%   limits(Milliseconds, MaxClauses, MaxTermSize, Mode), Mode answer or
%   explain.
nesy_ground(M, Requests, Limits, Text) :-
    nesy_ground(M, Requests, Limits, "", Text).

%!  nesy_ground(+M, +Requests, +Limits, +Facts:string, -Text:string) is det.
%
%   The same, with the facts of external predicates for this run, as text:
%   records separated by \x1e, fields by \x1f: the predicate name, then
%   one field per argument (a<atom>, i<integer>, f<float>), then the
%   probability.  Nothing in it is read as Prolog source.
nesy_ground(M, Requests, Limits, Facts, Text) :-
    setup_call_cleanup(
        ( start_run(Limits), load_facts(M, Facts) ),
        catch(( run_limited(Limits, ground_requests(M, Requests)),
                emit(M, Text)
              ),
              E,
              error_text(E, Text)),
        end_run(M)).

start_run(limits(_, MaxClauses, MaxSize, Mode)) :-
    nb_setval(nesy_explain, Mode),
    trie_new(Atoms), trie_new(Choices), trie_new(Seen),
    nb_setval(nesy_atoms, Atoms),
    nb_setval(nesy_choices, Choices),
    nb_setval(nesy_seen, Seen),
    nb_setval(nesy_natoms, 0),
    nb_setval(nesy_nchoices, 0),
    nb_setval(nesy_nclauses, 0),
    nb_setval(nesy_maxclauses, MaxClauses),
    set_prolog_flag(max_table_subgoal_size_action, error),
    set_prolog_flag(max_table_subgoal_size, MaxSize),
    set_prolog_flag(max_table_answer_size_action, error),
    set_prolog_flag(max_table_answer_size, MaxSize).

end_run(M) :-
    retractall(M:'$nesy_ext'(_, _)),
    catch(abolish_module_tables(M), _, true),
    catch(abolish_all_tables, _, true),
    retractall(gclause(_, _, _, _, _)),
    retractall(gchoice(_, _)),
    retractall(gprob(_, _, _)),
    retractall(gneural(_, _, _)),
    retractall(gtrue(_)),
    retractall(ganswer(_, _, _)),
    retractall(pending(_)),
    forall(member(K, [nesy_atoms, nesy_choices, nesy_seen]),
           ( nb_getval(K, T), trie_destroy(T), nb_setval(K, []) )).

%!  load_facts(+M, +Facts:string) is det.
%
%   Assert M:'$nesy_ext'(Atom, P) for each record of Facts (as nesy_ground/5
%   reads them); the caller retracts them.
load_facts(_, "") :- !.
load_facts(M, Text) :-
    split_string(Text, "\x1e", "", Records),
    forall(member(Record, Records),
           (   Record == ""
           ->  true
           ;   split_string(Record, "\x1f", "", [Name|Fields]),
               append(ArgFields, [ProbText], Fields),
               maplist(fact_arg, ArgFields, Args),
               atom_string(Functor, Name),
               Atom =.. [Functor|Args],
               number_string(P, ProbText),
               assertz(M:'$nesy_ext'(Atom, P))
           )).

fact_arg(Field, Value) :-
    sub_string(Field, 0, 1, _, Kind),
    sub_string(Field, 1, _, 0, Text),
    (   Kind == "a" -> atom_string(Value, Text)
    ;   Kind == "i" -> number_string(Value, Text)
    ;   Kind == "f" -> number_string(Value, Text)
    ).

run_limited(limits(Milliseconds, _, _, _), Goal) :-
    (   Milliseconds > 0
    ->  Seconds is Milliseconds / 1000,
        call_with_time_limit(Seconds, Goal)
    ;   call(Goal)
    ).

%   Two phases: calling the goals fills the tables (the relevant atoms);
%   then, from the goals' atoms on, each atom's instance clauses run against
%   the complete tables and record the ground clauses, whose body atoms are
%   expanded in turn.
ground_requests(M, Requests) :-
    forall(member(R, Requests), ground_request(M, R)),
    expand_pending(M).

expand_pending(M) :-
    (   retract(pending(A))
    ->  expand(M, A),
        expand_pending(M)
    ;   true
    ).

expand(M, A) :-
    functor(A, N, Arity),
    (   (   M:'$nesy_prob'(N, Arity)
        ->  true
        ;   nb_getval(nesy_explain, explain)
        )
    ->  inst_head(A, Rec, IH),
        forall(M:IH, call(Rec))
    ;   true
    ).

ground_request(M, pq(I)) :- !,
    M:'$nesy_query'(I, Goal, Offset),
    ground_query(M, I, Goal, Offset).
ground_request(M, pe(I)) :- !,
    M:'$nesy_evidence'(I, Atom, Value, Offset),
    ground_evidence(M, I, Atom, Value, Offset).
ground_request(M, q(I, Spec)) :- !,
    decode_goal(Spec, Goal),
    ground_query(M, I, Goal, -1).
ground_request(M, e(I, Spec, Value)) :-
    decode_goal(Spec, Atom),
    ground_evidence(M, I, Atom, Value, -1).

decode_goal(term(Encoded), Goal) :-
    decode_floats(Encoded, Goal).

decode_goal(text(Text), Goal) :-
    nesy_read_goal(Text, Goal, Error),
    (   Error == ""
    ->  true
    ;   throw(nesy_error(input, -1, -1, '~w'-[Error]))
    ).

%   pyswip cannot pass floats: they arrive as '$nesy_float'(Text).
decode_floats(T, T) :- var(T), !.
decode_floats('$nesy_float'(Text), F) :- !, atom_number(Text, F).
decode_floats(T, T) :- atomic(T), !.
decode_floats(T, D) :-
    compound_name_arguments(T, N, As),
    maplist(decode_floats, As, Ds),
    compound_name_arguments(D, N, Ds).

ground_query(M, I, Goal, Offset) :-
    known_goal(M, Goal, Offset),
    findall(Goal, M:Goal, Answers0),
    sort(Answers0, Answers),
    (   Answers == [], ground(Goal)
    ->  atom_id(Goal, Id),
        assertz(ganswer(q, I, Id-1))
    ;   forall(member(A, Answers),
               (   ground(A)
               ->  atom_id(A, Id),
                   mark_deterministic(M, A, Id),
                   assertz(ganswer(q, I, Id-1))
               ;   throw(nesy_error(nonground, Offset, -1,
                                    'query answer ~q is not ground'-[A]))
               ))
    ).

ground_evidence(M, I, Atom, Value, Offset) :-
    known_goal(M, Atom, Offset),
    (   ground(Atom)
    ->  true
    ;   throw(nesy_error(nonground, Offset, -1, 'evidence ~q is not ground'-[Atom]))
    ),
    atom_id(Atom, Id),
    (   \+ \+ M:Atom
    ->  mark_deterministic(M, Atom, Id)
    ;   true
    ),
    assertz(ganswer(e, I, Id-Value)).

known_goal(M, Goal, Offset) :-
    (   callable(Goal)
    ->  functor(Goal, N, A),
        (   M:'$nesy_defined'(N, A)
        ->  true
        ;   throw(nesy_error(unknown, Offset, -1, 'unknown predicate ~q'-[N/A]))
        )
    ;   throw(nesy_error(input, Offset, -1, '~q is not an atom'-[Goal]))
    ).

mark_deterministic(M, Atom, Id) :-
    functor(Atom, N, A),
    (   M:'$nesy_prob'(N, A)
    ->  true
    ;   gtrue(Id)
    ->  true
    ;   assertz(gtrue(Id))
    ).

		 /*******************************
		 *           RECORDING          *
		 *******************************/

%!  rec(+Clause, +Head, +Literals) is det.
%
%   Record a ground instance of a clause without probability.
rec(K, H, Lits) :-
    (   ground(H)
    ->  true
    ;   throw(nesy_error(nonground, -1, K, 'the clause derives the non-ground atom ~q'-[H]))
    ),
    atom_id(H, HId),
    reverse(Lits, Body),              % the translation collects literals last first
    lit_ids(Body, LIds),
    add_clause(HId, 0, 0, LIds, K).

%!  rec_choice(+Clause, +I, +Head, +Literals, +Key, +Spec) is det.
%
%   Record a ground instance of head I of a probabilistic clause; Key holds
%   the clause's global variables (one choice per ground instance of them).
%   Spec is slot (probability in the source), flexible(Probs) or nn(Net).
rec_choice(K, I, H, Lits, Key, Spec) :-
    (   ground(H-Key)
    ->  true
    ;   throw(nesy_error(nonground, -1, K,
                         'probabilistic clause instance ~q is not ground when called'-[H]))
    ),
    choice_id(K, Key, CId, New),
    (   New == true
    ->  assertz(gchoice(CId, K)),
        new_choice(Spec, K, CId, Key)
    ;   true
    ),
    atom_id(H, HId),
    reverse(Lits, Body),
    lit_ids(Body, LIds),
    add_clause(HId, CId, I, LIds, K).

new_choice(slot, _, _, _).
new_choice(nn(Net), _, CId, Key) :-
    Key =.. [_|Inputs],
    assertz(gneural(CId, Net, Inputs)).
new_choice(flexible(Ps), K, CId, _) :-
    eval_probs(Ps, K, Vs),
    sum_list(Vs, Sum),
    (   Sum > 1 + 1.0e-9
    ->  throw(nesy_error(program, -1, K,
                         'the probabilities of the annotated disjunction sum to ~w, more than 1'-[Sum]))
    ;   true
    ),
    forall(nth1(I, Vs, V), assertz(gprob(CId, I, V))).

eval_probs([], _, []).
eval_probs([P|Ps], K, [V|Vs]) :-
    (   catch(V is P, _, fail), number(V)
    ->  true
    ;   throw(nesy_error(program, -1, K, 'probability ~q is not a number'-[P]))
    ),
    (   V >= 0, V =< 1
    ->  true
    ;   throw(nesy_error(program, -1, K, 'probability ~w is outside [0,1]'-[V]))
    ),
    eval_probs(Ps, K, Vs).

add_clause(HId, CId, I, LIds, K) :-
    msort(LIds, Key),                 % literals stay in body order for proofs
    nb_getval(nesy_seen, Seen),
    (   trie_insert(Seen, c(HId, CId, I, Key), true)
    ->  assertz(gclause(HId, CId, I, LIds, K)),
        nb_getval(nesy_nclauses, N0),
        N is N0 + 1,
        nb_setval(nesy_nclauses, N),
        nb_getval(nesy_maxclauses, Max),
        (   N > Max
        ->  throw(nesy_limit(size,
                             'the ground program exceeds ~d clauses (limits.max_ground)'-[Max]))
        ;   true
        )
    ;   true
    ).

atom_id(A, Id) :-
    nb_getval(nesy_atoms, T),
    (   trie_lookup(T, A, Id)
    ->  true
    ;   nb_getval(nesy_natoms, N0),
        Id is N0 + 1,
        nb_setval(nesy_natoms, Id),
        trie_insert(T, A, Id),
        assertz(pending(A))
    ).

choice_id(K, Key, Id, New) :-
    nb_getval(nesy_choices, T),
    (   trie_lookup(T, K-Key, Id)
    ->  New = false
    ;   nb_getval(nesy_nchoices, N0),
        Id is N0 + 1,
        nb_setval(nesy_nchoices, Id),
        trie_insert(T, K-Key, Id),
        New = true
    ).

lit_ids([], []).
lit_ids([L|Ls], Is) :-
    (   L = neg(A)
    ->  atom_id(A, I0), I is -I0, Is = [I|Is1]
    ;   L = d(A)
    ->  (   ground(A), nb_getval(nesy_explain, explain)
        ->  atom_id(A, I),
            (   gtrue(I) -> true ; assertz(gtrue(I)) ),
            Is = [I|Is1]
        ;   Is = Is1
        )
    ;   atom_id(L, I), Is = [I|Is1]
    ),
    lit_ids(Ls, Is1).

		 /*******************************
		 *      GOALS IN RULE BODIES    *
		 *******************************/

%!  neg(+M, +Atom, +Offset) is det.
%
%   Negation of a probabilistic atom: ground its table, always succeed; the
%   literal \+ Atom goes into the formula.
neg(M, A, Offset) :-
    (   ground(A)
    ->  true
    ;   throw(nesy_error(nonground, Offset, -1,
                         'the negated goal \\+ ~q is not ground when called'-[A]))
    ),
    (   M:A, fail
    ;   true
    ).

%!  call_goal(+M, +Goal, +Lits0, -Lits) is nondet.
%
%   call/N with a goal known only at run time: the same rules as the
%   translator, checked when called.
call_goal(_, G, _, _) :-
    var(G), !,
    throw(nesy_error(input, -1, -1, 'call/N with an unbound goal'-[])).
call_goal(M, Call, L0, L) :-
    compound(Call), compound_name_arguments(Call, call, [G0|Extra]), !,
    (   var(G0)
    ->  call_goal(M, G0, L0, L)
    ;   G0 =.. L1, append(L1, Extra, L2), G =.. L2,
        call_goal(M, G, L0, L)
    ).
call_goal(M, G, L0, L) :-
    callable(G),
    functor(G, N, A),
    (   M:'$nesy_defined'(N, A)
    ->  M:G,
        (   M:'$nesy_prob'(N, A)
        ->  L = [G|L0]
        ;   L = L0
        )
    ;   builtin_goal(G, Q)
    ->  L = L0,
        call(Q)
    ;   throw(nesy_error(program, -1, -1,
                         'call/N of ~q: only the program''s predicates and safe built-ins can be called'-[N/A]))
    ).

%!  neg_goal(+M, +Goal, +Lits0, -Lits) is semidet.
neg_goal(M, G, L0, L) :-
    (   callable(G), functor(G, N, A), M:'$nesy_prob'(N, A)
    ->  neg(M, G, -1),
        L = [neg(G)|L0]
    ;   L = L0,
        \+ call_goal(M, G, [], _)
    ).

%!  undefined(+Goal, +Offset) is det.
undefined(G, Offset) :-
    functor(G, N, A),
    throw(nesy_error(unknown, Offset, -1, 'unknown predicate ~q'-[N/A])).

		 /*******************************
		 *            OUTPUT            *
		 *******************************/

emit(M, Text) :-
    with_output_to(string(Text), emit_all(M)).

emit_all(M) :-
    nb_getval(nesy_atoms, T),
    forall(trie_gen(T, A, Id),
           ( problog_string(A, S), format('a ~d ~s~n', [Id, S]) )),
    forall(gtrue(Id), format('t ~d~n', [Id])),
    forall(ganswer(q, I, Id-_), format('q ~d ~d~n', [I, Id])),
    forall(ganswer(e, I, Id-V), format('e ~d ~d ~d~n', [I, Id, V])),
    forall(gchoice(C, K), format('v ~d ~d~n', [C, K])),
    forall(gprob(C, I, P), format('p ~d ~d ~16g~n', [C, I, P])),
    forall(gneural(C, Net, Inputs),
           ( format('n ~d ~q', [C, Net]),
             forall(member(I, Inputs), ( problog_string(I, S), format('\t~s', [S]) )),
             nl )),
    forall(gclause(H, C, I, Ls, K),
           ( format('c ~d ~d ~d ~d', [H, C, I, K]),
             forall(member(L, Ls), format(' ~d', [L])),
             nl )),
    (   nb_getval(nesy_explain, explain)
    ->  emit_aux_goals(M, T)
    ;   true
    ).

%   What an auxiliary atom of a negation stands for, its local variables
%   named A, B, ...
emit_aux_goals(M, T) :-
    forall(( trie_gen(T, A, Id),
             M:'$nesy_aux_goal'(A, G0)
           ),
           ( copy_term(G0, G),
             numbervars(G, 0, _),
             with_output_to(string(S),
                            write_term(G, [quoted(true), numbervars(true), spacing(next_argument)])),
             format('g ~d ~s~n', [Id, S])
           )).

error_text(E, Text) :-
    error_parts(E, Kind, Offset, K, Message),
    split_string(Message, "\n", " ", Parts),
    atomic_list_concat(Parts, ' ', Line),
    format(string(Text), 'x ~w ~d ~d ~w', [Kind, Offset, K, Line]).

error_parts(nesy_error(Kind, Offset, K, Format-Args), Kind, Offset, K, Message) :- !,
    format(string(Message), Format, Args).
error_parts(nesy_limit(Kind, Format-Args), Kind, -1, -1, Message) :- !,
    format(string(Message), Format, Args).
error_parts(time_limit_exceeded, time, -1, -1, "the time limit was exceeded (limits.time)") :- !.
error_parts(error(resource_error(R), _), depth, -1, -1, Message) :- !,
    format(string(Message), 'the depth limit was exceeded (~w; limits.max_depth)', [R]).
error_parts(error(type_error(T, V), _), program, -1, -1, Message) :- !,
    format(string(Message), 'type error: ~q expected, found ~q', [T, V]).
error_parts(error(instantiation_error, _), program, -1, -1,
            "instantiation error: a built-in was called with an unbound argument") :- !.
error_parts(error(evaluation_error(E), _), program, -1, -1, Message) :- !,
    format(string(Message), 'arithmetic error: ~w', [E]).
error_parts(E, program, -1, -1, Message) :-
    format(string(Message), '~q', [E]).
