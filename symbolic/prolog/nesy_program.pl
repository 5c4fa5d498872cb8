:- module(nesy_program,
          [ nesy_load/3,              % +Module, +Source, -Report
            nesy_load/4,              % +Module, +Source, +External, -Report
            nesy_unload/1,            % +Module
            nesy_unload_text/2,       % +Module, -Empty
            nesy_read_goal/3,         % +Text, -Goal, -Error
            inst_head/3,              % +Head, ?Record, -InstanceHead
            pos_start/2,              % +Position, -StartOffset
            pos_end/2,                % +Position, -EndOffset
            arg_pos/3,                % +Position, +N, -ArgPosition
            control/4,                % +Goal, +Position, +Sign, -Subgoals
            called_goal/2,            % +Call, -Goal
            source_segments/2,        % +Source, -Segments
            open_segment/2            % +Segment, -Stream
          ]).

/** <module> Reading a ProbLog program and translating it for grounding

A rule file is read term by term with SWI-Prolog's reader (every syntax
error is collected, reading resumes at the next clause).  A program of
several files is read file by file (a clause never runs across two files),
each positioned at its offset in the files joined, so that every position
below is one of the joined text.  Each clause is
classified (fact, rule, probabilistic fact or rule, annotated disjunction,
neural predicate, query, evidence, directive), checked, and translated into
a tabled clause of the program's own module.  A translated clause, when it
succeeds, records its ground instance with nesy_ground:rec/5, so calling a
query goal in the module both answers it and leaves its relevant ground
program behind.

Predicates that do not depend on any probabilistic clause are
*deterministic*: they run as plain (tabled) Prolog and never enter the
formula.

The report returned to Python is text, one record a line:

    E <where> <kind> <message>      an error at a character offset or Line:Column
    K <clause> <start> <end> <fact|rule>  where clause K starts and ends (offsets)
    S <clause> <head> <value> [<atom>]  constant probability of a head (and the head, if ground)
    Q <index> <offset> <goal>       a query/1 of the file
    V <index> <offset> <0|1> <atom> an evidence/1,2 of the file
    N <clause> <arity> <net>(\t<value>)*  a neural predicate: how many inputs it reads, its
                                    network and its domain (nn(Net, [X], Y, [Values]))
    H <hash>                        the structure hash (probabilities left out)
*/

:- use_module(library(lists)).
:- use_module(library(apply)).
:- use_module(library(pairs)).
:- use_module(library(error), [must_be/2]).
:- use_module(nesy_builtins).
:- use_module(nesy_write).

:- op(1000, xfx, ::).

:- dynamic
    item_error/3,                     % Offset, Kind, Message
    item_end/2,                       % Clause, EndOffset
    pred_clause/3,                    % Module, Name/Arity, Kind(det|prob)
    call_edge/4,                      % Module, FromPI, ToPI, Sign
    neg_site/4,                       % Module, FromPI, ToPI, Offset
    aux_counter/2.                    % Module, N

read_options(Positions, Names,
             [ syntax_errors(error),
               subterm_positions(Positions),
               variable_names(Names),
               module(nesy_program),
               double_quotes(string),
               back_quotes(codes)
             ]).

%!  nesy_load(+Module, +Source, -Report:string) is det.
%
%   Read Source as a ProbLog program into the new module Module.  Source
%   is a text or the files of a program (see source_segments/2).
nesy_load(M, Text, Report) :-
    nesy_load(M, Text, [], Report).

%!  nesy_load(+Module, +Source, +External:list, -Report:string) is det.
%
%   External lists Name/Arity of predicates whose facts come with each
%   query (nesy_ground/5): each is read as the clause
%   P::Head :- '$nesy_ext'(Head, P), over the facts of the query.
nesy_load(M, Text, External, Report) :-
    b_setval(nesy_external, External),
    retractall(item_error(_, _, _)),
    retractall(item_end(_, _)),
    init_module(M),
    read_items(Text, Items),
    (   item_error(_, syntax, _)
    ->  true
    ;   load_items(M, Items, Records)
    ),
    findall(R, error_record(R), Errors),
    (   Errors == [], nonvar(Records)
    ->  Kept = Records
    ;   Kept = []
    ),
    append(Errors, Kept, All),
    atomic_list_concat(All, '\n', Report0),
    atom_string(Report0, Report),
    cleanup_analysis(M).

init_module(M) :-
    set_module(M:base(system)),
    forall(member(PI, [ '$nesy_declared'/2, '$nesy_defined'/2, '$nesy_prob'/2,
                        '$nesy_query'/3, '$nesy_evidence'/4, '$nesy_clause'/5,
                        '$nesy_aux_goal'/2, '$nesy_ext'/2 ]),
           dynamic(M:PI)).

error_record(R) :-
    item_error(Offset, Kind, Message),
    format(atom(R), 'E ~w ~w ~w', [Offset, Kind, Message]).

error(Offset, Kind, Format, Args) :-
    format(atom(Message0), Format, Args),
    split_string(Message0, "\n", "", Parts),
    atomic_list_concat(Parts, ' ', Message),
    assertz(item_error(Offset, Kind, Message)).

%!  nesy_unload(+Module) is det.
nesy_unload(M) :-
    catch(abolish_module_tables(M), _, true),
    forall(( current_predicate(M:Name/Arity),
             functor(Head, Name, Arity),
             \+ predicate_property(M:Head, imported_from(_))
           ),
           catch(abolish(M:Name/Arity), _, true)),
    retractall(pred_clause(M, _, _)),
    retractall(call_edge(M, _, _, _)).

%!  nesy_unload_text(+Module, -Empty:string) is det.
%
%   nesy_unload/1 in the calling convention of the Python border.
nesy_unload_text(M, "") :- nesy_unload(M).

%!  nesy_read_goal(+Text:string, -Goal, -Error:string) is det.
%
%   Parse a query written as text (an API argument); Error is "" or a message.
nesy_read_goal(Text, Goal, Error) :-
    catch(( term_string(Goal, Text, [ syntax_errors(error), module(nesy_program),
                                      double_quotes(string) ]),
            Error = ""
          ),
          E,
          ( message_text(E, Error0), format(string(Error), 'cannot parse ~q: ~w', [Text, Error0]) )).

message_text(error(syntax_error(What), _), Text) :- !, syntax_message(What, Text).
message_text(E, Text) :- message_to_codes(E, Text).

message_to_codes(E, Text) :-
    catch(message_to_codes_(E, Text), _, format(string(Text), '~q', [E])).
message_to_codes_(E, Text) :-
    '$messages':translate_message(E, Lines, []),
    with_output_to(string(Text), print_message_lines(current_output, '', Lines)).

		 /*******************************
		 *            READING           *
		 *******************************/

read_items(Source, Items) :-
    source_segments(Source, Segments),
    maplist(read_segment, Segments, ItemLists),
    append(ItemLists, Items).

read_segment(Segment, Items) :-
    setup_call_cleanup(open_segment(Segment, S), read_all(S, Items), close(S)).

%!  source_segments(+Source, -Segments:list) is det.
%
%   The files of a program.  Source is a text (one file) or
%   segments([segment(Start, Line, Text), ...]): the files in order, each
%   with the character offset and the line at which it starts when the
%   files are joined.
source_segments(segments(Segments), Segments) :- !,
    must_be(list, Segments).
source_segments(Text, [segment(0, 1, Text)]) :-
    must_be(text, Text).

%!  open_segment(+Segment, -Stream) is det.
%
%   A stream on the text of Segment whose character count and line number
%   start at the segment's offset and line, so that the reader's positions
%   (subterm positions, syntax errors) are those of the joined text.
open_segment(segment(Start, Line, Text), S) :-
    must_be(nonneg, Start),
    must_be(positive_integer, Line),
    must_be(text, Text),
    open_string(Text, S),
    (   Start =:= 0, Line =:= 1
    ->  true
    ;   set_stream_position(S, '$stream_position'(Start, Line, 0, 0))
    ).

read_all(S, Items) :-
    character_count(S, Before),
    read_options(Pos, Names, Options),
    catch(read_term(S, Term, Options), E, true),
    (   nonvar(E)
    ->  syntax_error(E),
        character_count(S, After),
        (   After > Before
        ->  read_all(S, Items)
        ;   Items = []
        )
    ;   Term == end_of_file
    ->  Items = []
    ;   Items = [item(Term, Pos, Names)|Rest],
        read_all(S, Rest)
    ).

syntax_error(error(syntax_error(What), stream(_, Line, LinePos, _))) :- !,
    syntax_message(What, Message),
    Column is LinePos + 1,
    error(Line:Column, syntax, '~w', [Message]).
syntax_error(error(syntax_error(What), string(_, Offset))) :- !,
    syntax_message(What, Message),
    error(Offset, syntax, '~w', [Message]).
syntax_error(E) :-
    message_to_codes(E, Message),
    error(0, syntax, '~w', [Message]).

syntax_message(What, Message) :-
    (   atom(What)
    ->  atomic_list_concat(Parts, '_', What),
        atomic_list_concat(Parts, ' ', Message)
    ;   format(atom(Message), '~w', [What])
    ).

		 /*******************************
		 *          CLASSIFYING         *
		 *******************************/

%   clause(K, Heads, Body, Annotation, Offset, HeadOffsets)
%   Annotation: det | prob(Probs) | nn(Net, Inputs, Output, Domain)

load_items(M, Items, Records) :-
    classify_items(Items, 1, 1, 1, Clauses0, Queries, Evidence),
    b_getval(nesy_external, External),
    length(Clauses0, N0),
    external_clauses(External, N0, Extra),
    append(Clauses0, Extra, Clauses),
    analyse(M, Clauses),
    (   item_error(_, _, _)
    ->  true
    ;   translate_all(M, Clauses),
        store_requests(M, Queries, Evidence),
        records(Clauses, Queries, Evidence, Records)
    ).

external_clauses([], _, []).
external_clauses([Name/Arity|Es], K0, [C|Cs]) :-
    K is K0 + 1,
    functor(H, Name, Arity),
    C = clause(K, [head(H, flexible(P), 0)], '$nesy_ext'(H, P), prob, -1, _),
    assertz(item_end(K, -1)),
    external_clauses(Es, K, Cs).

classify_items([], _, _, _, [], [], []).
classify_items([item(T, Pos, _)|Is], K, Q, E, Cs, Qs, Es) :-
    pos_start(Pos, Offset),
    classify(T, Pos, Offset, K, Q, E, Kind),
    (   Kind = clause(C)
    ->  pos_end(Pos, End),
        assertz(item_end(K, End)),
        Cs = [C|Cs1], K1 is K+1, Q1 = Q, E1 = E, Qs = Qs1, Es = Es1
    ;   Kind = query(Goal)
    ->  Qs = [query(Q, Goal, Offset)|Qs1], K1 = K, Q1 is Q+1, E1 = E, Cs = Cs1, Es = Es1
    ;   Kind = evidence(A, V)
    ->  Es = [evidence(E, A, V, Offset)|Es1], K1 = K, Q1 = Q, E1 is E+1, Cs = Cs1, Qs = Qs1
    ;   K1 = K, Q1 = Q, E1 = E, Cs = Cs1, Qs = Qs1, Es = Es1
    ),
    classify_items(Is, K1, Q1, E1, Cs1, Qs1, Es1).

classify(T, _, Offset, _, _, _, none) :-
    var(T), !,
    error(Offset, program, 'a clause cannot be a variable', []).
classify((:- D), Pos, _, _, _, _, none) :- !,
    arg_pos(Pos, 1, DPos),
    pos_start(DPos, DOffset),
    directive(D, DOffset).
classify(query(Q), Pos, _, _, _, _, Kind) :- !,
    (   callable(Q)
    ->  Kind = query(Q)
    ;   arg_pos(Pos, 1, QP), pos_start(QP, QO),
        error(QO, program, 'query/1 needs an atom, not ~q', [Q]),
        Kind = none
    ).
classify(evidence(A), Pos, Offset, K, Q, E, Kind) :- !,
    classify(evidence(A, true), Pos, Offset, K, Q, E, Kind).
classify(evidence(A, V), Pos, Offset, _, _, _, Kind) :- !,
    (   \+ callable(A)
    ->  error(Offset, program, 'evidence needs an atom, not ~q', [A]), Kind = none
    ;   A = (\+ B)
    ->  negate_value(V, NV, Offset, Kind0),
        ( Kind0 == none -> Kind = none ; Kind = evidence(B, NV) )
    ;   evidence_value(V, Value)
    ->  Kind = evidence(A, Value)
    ;   arg_pos(Pos, 2, VP), pos_start(VP, VO),
        error(VO, program, 'evidence value must be true or false, not ~q', [V]),
        Kind = none
    ).
classify(T, Pos, Offset, K, _, _, Kind) :-
    (   T = (H :- B)
    ->  arg_pos(Pos, 1, HPos), arg_pos(Pos, 2, BPos)
    ;   H = T, B = true, HPos = Pos, BPos = Pos
    ),
    (   head_annotation(H, HPos, Heads, Annotation)
    ->  (   check_clause(Heads, B, Offset)
        ->  Kind = clause(clause(K, Heads, B, Annotation, Offset, BPos))
        ;   Kind = none
        )
    ;   Kind = none
    ).

negate_value(V, NV, Offset, Kind) :-
    (   evidence_value(V, Value)
    ->  NV is 1 - Value, Kind = ok
    ;   error(Offset, program, 'evidence value must be true or false, not ~q', [V]),
        Kind = none
    ).

evidence_value(true, 1).
evidence_value(false, 0).
evidence_value(1, 1).
evidence_value(0, 0).

directive(D, Offset) :-
    (   var(D)
    ->  error(Offset, program, 'a directive cannot be a variable', [])
    ;   D = use_module(library(Lib)), atom(Lib)
    ->  (   memberchk(Lib, [lists, apply, aggregate, between])
        ->  true
        ;   error(Offset, program, 'library(~w) is not available in rule files', [Lib])
        )
    ;   functor(D, Name, Arity),
        error(Offset, program, 'directive ~q is not allowed in rule files (forbidden goal ~w/~w)',
              [D, Name, Arity])
    ).

%!  head_annotation(+Head, +Pos, -Heads, -Annotation) is semidet.
%
%   Heads is a list of head(Atom, Prob, Offset); fails after recording an error.
head_annotation(H, Pos, Heads, Annotation) :-
    pos_start(Pos, Offset),
    (   var(H)
    ->  error(Offset, program, 'a clause head cannot be a variable', []),
        fail
    ;   H = (_ ; _)
    ->  disjunction_heads(H, Pos, Heads),
        Annotation = prob
    ;   H = (Ann :: A), nonvar(Ann), Ann = nn(Net, Inputs, Output, Domain)
    ->  arg_pos(Pos, 2, APos), pos_start(APos, AO),
        check_head(A, AO),
        Heads = [head(A, nn, AO)],
        Annotation = nn(Net, Inputs, Output, Domain),
        check_nn(Annotation, A, Offset)
    ;   H = (Ann :: A), nonvar(Ann), Ann = nn(Net, Inputs)
    ->  arg_pos(Pos, 2, APos), pos_start(APos, AO),
        check_head(A, AO),
        Heads = [head(A, nn, AO)],
        Annotation = nn(Net, Inputs, none, [true]),
        check_nn(Annotation, A, Offset)
    ;   H = (P :: A)
    ->  prob_head(P, A, Pos, Head),
        Heads = [Head],
        Annotation = prob
    ;   check_head(H, Offset),
        Heads = [head(H, det, Offset)],
        Annotation = det
    ).

disjunction_heads(H, Pos, Heads) :-
    (   H = (L ; R)
    ->  arg_pos(Pos, 1, LPos), arg_pos(Pos, 2, RPos),
        disjunction_heads(L, LPos, LH),
        disjunction_heads(R, RPos, RH),
        append(LH, RH, Heads)
    ;   H = (P :: A)
    ->  prob_head(P, A, Pos, Head),
        Heads = [Head]
    ;   pos_start(Pos, Offset),
        error(Offset, program,
              'each head of an annotated disjunction needs a probability (P::~q)', [H]),
        fail
    ).

prob_head(P, A, Pos, head(A, Prob, AO)) :-
    arg_pos(Pos, 1, PPos), pos_start(PPos, PO),
    arg_pos(Pos, 2, APos), pos_start(APos, AO),
    check_head(A, AO),
    probability(P, PO, Prob).

probability(P, Offset, Prob) :-
    (   var(P)
    ->  Prob = flexible(P)
    ;   P = t(_)
    ->  error(Offset, program, 'learnable probabilities t(_) are not supported yet', []),
        fail
    ;   \+ ground(P)
    ->  Prob = flexible(P)
    ;   catch(V is P, _, fail), number(V)
    ->  (   V >= 0, V =< 1
        ->  Prob = const(V)
        ;   error(Offset, program, 'probability ~w is outside [0,1]', [V]),
            fail
        )
    ;   error(Offset, program, 'probability ~q is not a number', [P]),
        fail
    ).

check_head(H, Offset) :-
    (   var(H)
    ->  error(Offset, program, 'a clause head cannot be a variable', []), fail
    ;   \+ callable(H)
    ->  error(Offset, program, '~q cannot be a clause head', [H]), fail
    ;   H = (_:_)
    ->  error(Offset, program, '~q cannot be a clause head (a probability is written P::Head)',
              [H]), fail
    ;   reserved_head(H)
    ->  functor(H, N, A),
        error(Offset, program, 'cannot redefine the built-in predicate ~q', [N/A]), fail
    ;   true
    ).

check_nn(nn(Net, Inputs, _Output, Domain), _Head, Offset) :-
    (   atom(Net), is_list(Inputs), is_list(Domain), Domain \== []
    ->  true
    ;   error(Offset, program,
              'a neural predicate reads nn(Net, [Inputs], Output, [Values]) :: Head', []),
        fail
    ).

check_clause(Heads, Body, Offset) :-
    (   var(Body)
    ->  true
    ;   \+ callable(Body)
    ->  error(Offset, program, 'a clause body must be a goal, not ~q', [Body]), fail
    ;   true
    ),
    findall(V, member(head(_, const(V), _), Heads), Vs),
    sum_list(Vs, Mass),
    (   Mass > 1 + 1.0e-9
    ->  error(Offset, program,
              'the probabilities of the annotated disjunction sum to ~w, more than 1', [Mass]),
        fail
    ;   true
    ).

		 /*******************************
		 *           ANALYSIS           *
		 *******************************/

%!  analyse(+M, +Clauses) is det.
%
%   Find the defined predicates, check every body goal (forbidden goals are
%   load errors), find which predicates depend on probabilistic clauses and
%   check that negation is stratified.
analyse(M, Clauses) :-
    forall(member(clause(_, Heads, _, Ann, _, _), Clauses),
           forall(member(head(H, _, _), Heads),
                  ( functor(H, N, A),
                    ( Ann == det -> Kind = det ; Kind = prob ),
                    assertz(pred_clause(M, N/A, Kind)) ))),
    forall(member(clause(_, Heads, Body, _, _, BPos), Clauses),
           forall(member(head(H, _, _), Heads),
                  ( functor(H, N, A),
                    body_edges(M, N/A, Body, BPos, pos) ))),
    prob_closure(M),
    find_recursive(M),
    stratified(M).

defined(M, PI) :- pred_clause(M, PI, _), !.

body_edges(M, From, Body, Pos, Sign) :-
    (   var(Body)
    ->  true
    ;   control(Body, Pos, Sign, Subs)
    ->  forall(member(sub(G, GP, S), Subs), body_edges(M, From, G, GP, S))
    ;   functor(Body, N, A),
        (   defined(M, N/A)
        ->  assertz(call_edge(M, From, N/A, Sign)),
            (   Sign == neg, \+ neg_site(M, From, N/A, _)
            ->  pos_start(Pos, Offset),
                assertz(neg_site(M, From, N/A, Offset))
            ;   true
            )
        ;   builtin_goal(Body, _)
        ->  true
        ;   forbidden_goal(Body)
        ->  pos_start(Pos, Offset),
            error(Offset, program, 'forbidden goal ~q: not in the safe set of built-ins',
                  [N/A])
        ;   true                    % undefined: an error when reached, as in ProbLog
        )
    ).

%!  control(+Goal, +Pos, +Sign, -Subgoals) is semidet.
%
%   Goal is a control construct; Subgoals are its goals with their position
%   and sign (pos, neg or agg for goals under findall and friends).
control((A, B), P, S, [sub(A, PA, S), sub(B, PB, S)]) :- arg_pos(P, 1, PA), arg_pos(P, 2, PB).
control((A ; B), P, S, [sub(A, PA, S), sub(B, PB, S)]) :- arg_pos(P, 1, PA), arg_pos(P, 2, PB).
control((A -> B), P, S, [sub(A, PA, neg), sub(B, PB, S)]) :- arg_pos(P, 1, PA), arg_pos(P, 2, PB).
control((A *-> B), P, S, [sub(A, PA, neg), sub(B, PB, S)]) :- arg_pos(P, 1, PA), arg_pos(P, 2, PB).
control(\+ A, P, _, [sub(A, PA, neg)]) :- arg_pos(P, 1, PA).
control(not(A), P, _, [sub(A, PA, neg)]) :- arg_pos(P, 1, PA).
control(findall(_, G, _), P, _, [sub(G, PG, agg)]) :- arg_pos(P, 2, PG).
control(forall(C, A), P, _, [sub(C, PC, agg), sub(A, PA, agg)]) :-
    arg_pos(P, 1, PC), arg_pos(P, 2, PA).
control(aggregate_all(_, G, _), P, _, [sub(G, PG, agg)]) :- arg_pos(P, 2, PG).
control(Call, P, S, [sub(G, P, S)]) :-
    called_goal(Call, G).

%!  called_goal(+Call, -Goal) is semidet.
%
%   Call is call(G, Extra...) with G known; Goal is the goal it calls.
called_goal(Call, G) :-
    compound(Call), compound_name_arguments(Call, call, [G0|Extra]),
    nonvar(G0),
    (   Extra == []
    ->  G = G0
    ;   callable(G0), G0 =.. L0, append(L0, Extra, L1), G =.. L1
    ).

%   A predicate is probabilistic when it has a probabilistic clause or calls
%   a probabilistic predicate.
:- dynamic prob_pred/2.

prob_closure(M) :-
    retractall(prob_pred(M, _)),
    forall(pred_clause(M, PI, prob), assert_prob(M, PI)),
    prob_fixpoint(M).

assert_prob(M, PI) :- ( prob_pred(M, PI) -> true ; assertz(prob_pred(M, PI)) ).

prob_fixpoint(M) :-
    (   call_edge(M, From, To, _), prob_pred(M, To), \+ prob_pred(M, From)
    ->  assertz(prob_pred(M, From)),
        prob_fixpoint(M)
    ;   true
    ).

stratified(M) :-
    findall(From-To, call_edge(M, From, To, neg), NegEdges0),
    sort(NegEdges0, NegEdges),
    findall(M-E, edge_pair(M, E), Edges0), sort(Edges0, Edges),
    forall(member(From-To, NegEdges),
           (   reaches(Edges, M, To, From)
           ->  findall(P, ( member(M-(P-_), Edges), reaches(Edges, M, To, P),
                            reaches(Edges, M, P, From) ), Cycle0),
               sort([From, To|Cycle0], Cycle),
               atomic_list_concat_pi(Cycle, Names),
               ( neg_site(M, From, To, Offset) -> true ; Offset = 0 ),
               error(Offset, program,
                     'the program is not stratified: ~w form a cycle through negation (~q calls \\+ ~q)',
                     [Names, From, To])
           ;   true
           )).

edge_pair(M, From-To) :- call_edge(M, From, To, _).

reaches(_, _, X, X) :- !.
reaches(Edges, M, X, Y) :- reach_bfs(Edges, M, [X], [X], Y).

reach_bfs(Edges, M, [X|Queue], Seen, Y) :-
    findall(Z, ( member(M-(X-Z), Edges), \+ memberchk(Z, Seen) ), Zs0),
    sort(Zs0, Zs),
    (   memberchk(Y, Zs)
    ->  true
    ;   append(Seen, Zs, Seen1),
        append(Queue, Zs, Queue1),
        reach_bfs(Edges, M, Queue1, Seen1, Y)
    ).

atomic_list_concat_pi(PIs, Text) :-
    maplist([N/A, T]>>format(atom(T), '~q/~w', [N, A]), PIs, Ts),
    atomic_list_concat(Ts, ', ', Text).

cleanup_analysis(M) :-
    retractall(call_edge(M, _, _, _)),
    retractall(neg_site(M, _, _, _)),
    retractall(aux_counter(M, _)),
    retractall(pred_clause(M, _, _)),
    retractall(prob_pred(M, _)),
    retractall(recursive_pred(M, _)).

		 /*******************************
		 *          TRANSLATION         *
		 *******************************/

translate_all(M, Clauses) :-
    forall(pred_clause(M, PI, _), declare(M, PI)),
    assertz(M:'$nesy_prob'('$none', 0)),
    forall(prob_pred(M, N/A), assertz(M:'$nesy_prob'(N, A))),
    forall(pred_clause(M, N/A, _), ( M:'$nesy_defined'(N, A) -> true
                                   ; assertz(M:'$nesy_defined'(N, A)) )),
    forall(member(C, Clauses),
           catch(translate_clause(M, C),
                 nesy_load_error(Offset, Format-Args),
                 error(Offset, program, Format, Args))).

%   Probabilistic and recursive predicates are tabled (termination, and
%   the relevant atoms); the others run as plain Prolog, so that findall/3
%   sees their answers in clause order, as ProbLog does.
declare(M, N/A) :-
    (   M:'$nesy_declared'(N, A)
    ->  true
    ;   dynamic(M:N/A),
        (   ( prob_pred(M, N/A) ; recursive_pred(M, N/A) )
        ->  M:table(N/A)
        ;   true
        ),
        assertz(M:'$nesy_declared'(N, A))
    ).

%   Predicates on a cycle of the call graph, found once at analysis.
:- dynamic recursive_pred/2.

find_recursive(M) :-
    retractall(recursive_pred(M, _)),
    findall(M-(F-T), call_edge(M, F, T, _), Edges0),
    sort(Edges0, Edges),
    forall(( pred_clause(M, PI, _),
             \+ recursive_pred(M, PI),
             once(( member(M-(PI-Next), Edges), reaches(Edges, M, Next, PI) ))
           ),
           assertz(recursive_pred(M, PI))).

is_prob_goal(M, G) :- callable(G), functor(G, N, A), prob_pred(M, N/A), !.

%!  translate_clause(+M, +Clause) is det.
translate_clause(M, clause(K, Heads, Body, Ann, Offset, BPos)) :-
    assertz(M:'$nesy_clause'(K, Heads, Body, Ann, Offset)),
    heads_term(Heads, HeadsTerm),
    skeleton(Body, HeadsTerm, Skel),
    term_variables(HeadsTerm-Skel, KeyVars0),
    (   Ann = nn(_, Inputs, _, _)
    ->  term_variables(Inputs, KeyVars)
    ;   KeyVars = KeyVars0
    ),
    Key =.. [k|KeyVars],
    forall(nth1(I, Heads, head(H, Prob0, _)),
           (   memberchk(head(_, flexible(_), _), Heads), Prob0 = const(_)
           ->  translate_head(M, K, I, H, flexible(_), Heads, Body, BPos, Ann, Key, Offset)
           ;   translate_head(M, K, I, H, Prob0, Heads, Body, BPos, Ann, Key, Offset)
           )).

heads_term(Heads, T) :-                 % no findall: it would copy the variables
    maplist(head_atom, Heads, Hs),
    T =.. [h|Hs].

head_atom(head(H, _, _), H).

translate_head(M, K, I, H, Prob, Heads, Body, BPos, Ann, Key, _Offset) :-
    functor(H, N, A),
    (   prob_pred(M, N/A)
    ->  copy_term(t(H, Body, Key, Heads, Ann), t(H1, B1, Key1, Heads1, Ann1)),
        tr(B1, BPos, M, K, h(H1, Key1), [], Lits, TB0),
        record_goal(Prob, Ann1, K, I, H1, Lits, Key1, Heads1, Extra, Rec),
        assert_prob_clause(M, H1, (TB0, Extra), Rec)
    ;   copy_term(H-Body, H1-B1),
        tr(B1, BPos, M, K, h(H1), [], Lits, TB),
        assertz(M:(H1 :- TB)),
        inst_head(H1, nesy_ground:rec(K, H1, Lits), IH),
        assertz(M:(IH :- TB))
    ).

%   A clause of a probabilistic predicate is asserted twice: as a tabled
%   clause (which finds the relevant atoms; tabling may skip derivations of
%   an answer it already has) and as an instance clause, run once the tables
%   are complete, which records every ground instance with Rec.  Clauses of
%   deterministic predicates have instance clauses too: explanations record
%   the derivations of the deterministic atoms they show.
assert_prob_clause(M, H, Body, Rec) :-
    assertz(M:(H :- Body)),
    inst_head(H, Rec, IH),
    assertz(M:(IH :- Body)).

%!  inst_head(+Head, ?Record, -InstanceHead) is det.
%
%   The head of the instance clauses of Head's predicate.
inst_head(H, Rec, IH) :-
    compound_name_arity_(H, N, A, Args),
    format(atom(IN), '$nesy_inst ~w/~w', [N, A]),
    append(Args, [Rec], IArgs),
    IH =.. [IN|IArgs].

compound_name_arity_(H, N, A, Args) :-
    H =.. [N|Args],
    length(Args, A).

record_goal(det, _, K, _, H, Lits, _, _, true, nesy_ground:rec(K, H, Lits)) :- !.
record_goal(nn, nn(Net, _, none, [true]), K, _, H, Lits, Key, _, true,
            nesy_ground:rec_choice(K, 1, H, Lits, Key, nn(Net))) :- !.
record_goal(nn, nn(Net, _, Output, Domain), K, _, H, Lits, Key, _,
            lists:nth1(I, Domain, Output),
            nesy_ground:rec_choice(K, I, H, Lits, Key, nn(Net))) :- !.
record_goal(const(_), _, K, I, H, Lits, Key, _, true,
            nesy_ground:rec_choice(K, I, H, Lits, Key, slot)) :- !.
record_goal(flexible(_), _, K, I, H, Lits, Key, Heads, true,
            nesy_ground:rec_choice(K, I, H, Lits, Key, flexible(Ps))) :-
    heads_probs(Heads, Ps).

heads_probs([], []).
heads_probs([head(_, Prob, _)|Hs], [P|Ps]) :-
    ( Prob = flexible(P) -> true ; Prob = const(P) ),
    heads_probs(Hs, Ps).

%!  skeleton(+Body, +Outside, -Skeleton) is det.
%
%   Body with each scoped goal (negation, findall, ...) replaced by the
%   variables it shares with the rest of the clause: the variables of the
%   skeleton are the clause's global variables, which index its choices.
skeleton(B, _, B) :- var(B), !.
skeleton((A, B), O, (SA, SB)) :- !, skeleton(A, O-B, SA), skeleton(B, O-A, SB).
skeleton((A ; B), O, (SA ; SB)) :- !, skeleton(A, O-B, SA), skeleton(B, O-A, SB).
skeleton((A -> B), O, (SA -> SB)) :- !, skeleton(A, O-B, SA), skeleton(B, O-A, SB).
skeleton((A *-> B), O, (SA *-> SB)) :- !, skeleton(A, O-B, SA), skeleton(B, O-A, SB).
skeleton(G, O, g(Vs)) :- scoped(G, Inner, Result), !,
    global_vars(Inner, O-Result, Vs0), term_variables(Vs0-Result, Vs).
skeleton(G, _, G).

scoped(\+ A, A, []).
scoped(not(A), A, []).
scoped(findall(T, G, R), T-G, R).
scoped(forall(C, A), C-A, []).
scoped(aggregate_all(S, G, R), S-G, R).

global_vars(Inner, Outside, Vs) :-
    term_variables(Inner, IV),
    term_variables(Outside, OV),
    include(occurs_in(OV), IV, Vs).

occurs_in(Vars, V) :- member(W, Vars), W == V, !.

%!  tr(+Goal, +Pos, +M, +K, +Outside, +Lits0, -Lits, -Translated) is det.
%
%   Translate a body goal.  Lits accumulates the probabilistic literals the
%   goal uses (atoms and neg(Atom)); Outside holds the rest of the clause.
tr(G, _, M, _, _, L0, L, nesy_ground:call_goal(M, G, L0, L)) :- var(G), !.
tr('$nesy_ext'(H, P), _, M, _, _, L0, L0, M:'$nesy_ext'(H, P)) :- !.
tr((A, B), P, M, K, O, L0, L, (TA, TB)) :- !,
    arg_pos(P, 1, PA), arg_pos(P, 2, PB),
    tr(A, PA, M, K, O-B, L0, L1, TA),
    tr(B, PB, M, K, O-A, L1, L, TB).
tr((A ; B), P, M, K, O, L0, L, Goal) :- !,
    arg_pos(P, 1, PA), arg_pos(P, 2, PB),
    (   nonvar(A), A = (C -> T)
    ->  arg_pos(PA, 1, PC), arg_pos(PA, 2, PT),
        ite(C, T, B, PC, PT, PB, M, K, O, L0, L, Goal)
    ;   tr(A, PA, M, K, O-B, L0, LA, TA),
        tr(B, PB, M, K, O-A, L0, LB, TB),
        Goal = ((TA, L = LA) ; (TB, L = LB))
    ).
tr((C -> T), P, M, K, O, L0, L, Goal) :- !,
    arg_pos(P, 1, PC), arg_pos(P, 2, PT),
    ite(C, T, fail, PC, PT, P, M, K, O, L0, L, Goal).
tr((C *-> T), P, M, K, O, L0, L, Goal) :- !,
    tr((C, T), P, M, K, O, L0, L, Goal).
tr(\+ A, P, M, K, O, L0, L, Goal) :- !,
    arg_pos(P, 1, PA),
    negation(A, PA, M, K, O, L0, L, Goal).
tr(not(A), P, M, K, O, L0, L, Goal) :- !,
    arg_pos(P, 1, PA),
    negation(A, PA, M, K, O, L0, L, Goal).
tr(findall(T, G, R), P, M, K, O, L0, L0, findall(T, TG, R)) :- !,
    arg_pos(P, 2, PG),
    deterministic_scope(findall/3, G, PG, M),
    tr(G, PG, M, K, O, [], _, TG).
tr(forall(C, A), P, M, K, O, L0, L0, forall(TC, TA)) :- !,
    arg_pos(P, 1, PC), arg_pos(P, 2, PA),
    deterministic_scope(forall/2, C-A, P, M),
    tr(C, PC, M, K, O, [], _, TC),
    tr(A, PA, M, K, O, [], _, TA).
tr(aggregate_all(S, G, R), P, M, K, O, L0, L0, aggregate_all(S, TG, R)) :- !,
    arg_pos(P, 2, PG),
    deterministic_scope(aggregate_all/3, G, PG, M),
    tr(G, PG, M, K, O, [], _, TG).
tr(Call, P, M, K, O, L0, L, Goal) :-
    compound(Call), compound_name_arguments(Call, call, [G0|Extra]), !,
    (   var(G0)
    ->  Goal = nesy_ground:call_goal(M, Call, L0, L)
    ;   G0 =.. L1, append(L1, Extra, L2), G =.. L2,
        tr(G, P, M, K, O, L0, L, Goal)
    ).
tr(G, P, M, _, _, L0, L, Goal) :-
    functor(G, N, A),
    (   defined(M, N/A)
    ->  Goal = M:G,
        (   prob_pred(M, N/A)
        ->  L = [G|L0]
        ;   L = [d(G)|L0]               % kept only when explaining
        )
    ;   builtin_goal(G, Goal0)
    ->  L = L0,
        arithmetic_goal(Goal0, Goal)
    ;   pos_start(P, Offset),
        Goal = nesy_ground:undefined(G, Offset),
        L = L0
    ).

%   ProbLog evaluates X / Y as Python does: always a float.
arithmetic_goal(Module:Goal0, Module:Goal) :-
    Goal0 =.. [Op, A0, B0],
    memberchk(Op, [is, =:=, =\=, <, >, =<, >=]), !,
    true_division(A0, A),
    true_division(B0, B),
    Goal =.. [Op, A, B].
arithmetic_goal(Goal, Goal).

true_division(E, E) :- var(E), !.
true_division(X / Y, float(X1) / Y1) :- !, true_division(X, X1), true_division(Y, Y1).
true_division(E, E) :- atomic(E), !.
true_division(E0, E) :-
    compound_name_arguments(E0, N, As0),
    maplist(true_division, As0, As),
    compound_name_arguments(E, N, As).

%   If-then-else: plain Prolog when the condition is deterministic,
%   otherwise (C, T ; \+ C, E) as ProbLog reads it.
ite(C, T, E, PC, PT, PE, M, K, O, L0, L, Goal) :-
    (   prob_subgoal(M, C)
    ->  tr(((C, T) ; (\+ C, E)), term_position(0, 0, 0, 0,
                                               [ term_position(0, 0, 0, 0, [PC, PT]),
                                                 term_position(0, 0, 0, 0, [PC, PE]) ]),
           M, K, O, L0, L, Goal)
    ;   tr(C, PC, M, K, O-T-E, L0, L1, TC),
        tr(T, PT, M, K, O-C-E, L1, LT, TT),
        tr(E, PE, M, K, O-C-T, L0, LE, TE),
        Goal = (TC -> TT, L = LT ; TE, L = LE)
    ).

prob_subgoal(M, G) :-
    nonvar(G),
    (   control(G, 0-0, pos, Subs)
    ->  member(sub(S, _, _), Subs), prob_subgoal(M, S)
    ;   is_prob_goal(M, G)
    ).

deterministic_scope(What, G, P, M) :-
    (   prob_subgoal(M, G)
    ->  pos_start(P, Offset),
        throw(nesy_load_error(Offset,
                              'the goal of ~w depends on probabilistic facts; ~w is only allowed over deterministic goals'-
                              [What, What]))
    ;   true
    ).

%   Negation of a probabilistic goal: a literal neg(Atom) when the goal is one
%   atom whose variables all occur outside; otherwise an auxiliary predicate
%   over the shared variables, so the negated atom is ground when called.
negation(A, P, M, K, O, L0, L, Goal) :-
    (   var(A)
    ->  Goal = nesy_ground:neg_goal(M, A, L0, L)
    ;   \+ prob_subgoal(M, A)
    ->  tr(A, P, M, K, O, [], _, TA),
        L = L0,
        Goal = (\+ TA)
    ;   global_vars(A, O, Shared),
        term_variables(A, AV),
        functor(A, N, Ar),
        (   defined(M, N/Ar), prob_pred(M, N/Ar), length(AV, NAV), length(Shared, NAV)
        ->  Atom = A
        ;   aux_atom(M, K, Shared, Atom),
            functor(Atom, AN, AA),
            assertz(prob_pred(M, AN/AA)),
            assertz(pred_clause(M, AN/AA, det)),
            assertz(M:'$nesy_defined'(AN, AA)),
            assertz(M:'$nesy_prob'(AN, AA)),
            declare(M, AN/AA),
            copy_term(Atom-A, Atom1-A1),
            assertz(M:'$nesy_aux_goal'(Atom1, A1)),
            tr(A1, P, M, K, Atom1, [], Lits, TA),
            assert_prob_clause(M, Atom1, TA, nesy_ground:rec(K, Atom1, Lits))
        ),
        pos_start(P, Offset),
        Goal = nesy_ground:neg(M, Atom, Offset),
        L = [neg(Atom)|L0]
    ).

aux_atom(M, K, Vars, Atom) :-
    (   retract(aux_counter(M, N0)) -> true ; N0 = 0 ),
    N is N0 + 1,
    assertz(aux_counter(M, N)),
    format(atom(Name), '$nesy_aux_~w_~w', [K, N]),
    Atom =.. [Name|Vars].

		 /*******************************
		 *            REPORT            *
		 *******************************/

store_requests(M, Queries, Evidence) :-
    forall(member(query(I, G, O), Queries), assertz(M:'$nesy_query'(I, G, O))),
    forall(member(evidence(I, A, V, O), Evidence), assertz(M:'$nesy_evidence'(I, A, V, O))).

records(Clauses, Queries, Evidence, Records) :-
    findall(R, clause_record(Clauses, R), CRs),
    findall(R, ( member(query(I, G, O), Queries),
                 problog_string(G, S),
                 format(atom(R), 'Q ~d ~d ~w', [I, O, S]) ), QRs),
    findall(R, ( member(evidence(I, A, V, O), Evidence),
                 problog_string(A, S),
                 format(atom(R), 'V ~d ~d ~d ~w', [I, O, V, S]) ), ERs),
    structure_hash(Clauses, Queries, Evidence, Hash),
    format(atom(HR), 'H ~w', [Hash]),
    append([CRs, QRs, ERs, [HR]], Records).

clause_record(Clauses, R) :-
    member(clause(K, Heads, Body, Ann, Offset, _), Clauses),
    (   ( item_end(K, End) -> true ; End = Offset ),
        (   Offset < 0 -> Kind = external
        ;   Body == true -> Kind = fact
        ;   Kind = rule
        ),
        format(atom(R), 'K ~d ~d ~d ~w', [K, Offset, End, Kind])
    ;   clause_nn_record(K, Ann, R)
    ;   nth1(I, Heads, head(H, const(V), _)),
        (   ground(H)
        ->  problog_string(H, S),
            format(atom(R), 'S ~d ~d ~16g ~s', [K, I, V, S])
        ;   format(atom(R), 'S ~d ~d ~16g', [K, I, V])
        )
    ).

clause_nn_record(K, nn(Net, Inputs, _, Domain), R) :-
    length(Inputs, Arity),
    findall(S, ( member(V, Domain), problog_string(V, S) ), Ss),
    atomic_list_concat([Net|Ss], '\t', Text),
    format(atom(R), 'N ~d ~d ~w', [K, Arity, Text]).

structure_hash(Clauses, Queries, Evidence, Hash) :-
    findall(c(Hs, B, Ann), ( member(clause(_, Heads, B, Ann0, _, _), Clauses),
                              findall(H-Kind, ( member(head(H, P, _), Heads),
                                                 prob_kind(P, Kind) ), Hs),
                              ann_kind(Ann0, Ann) ), Cs),
    findall(G, member(query(_, G, _), Queries), Qs),
    findall(A-V, member(evidence(_, A, V, _), Evidence), Es),
    variant_sha1(Cs-Qs-Es, Hash).

prob_kind(const(_), const) :- !.
prob_kind(P, P).
ann_kind(nn(N, I, O, D), nn(N, I, O, D)) :- !.
ann_kind(_, rule).

		 /*******************************
		 *           POSITIONS          *
		 *******************************/

pos_start(Pos, 0) :- var(Pos), !.
pos_start(From-_, From) :- !.
pos_start(Pos, From) :- compound(Pos), arg(1, Pos, From), integer(From), !.
pos_start(_, 0).

pos_end(Pos, 0) :- var(Pos), !.
pos_end(_-To, To) :- !.
pos_end(Pos, To) :- compound(Pos), arg(2, Pos, To), integer(To), !.
pos_end(_, 0).

arg_pos(Pos, _, Pos) :- var(Pos), !.
arg_pos(parentheses_term_position(_, _, In), N, AP) :- !, arg_pos(In, N, AP).
arg_pos(term_position(_, _, _, _, Args), N, AP) :- nth1(N, Args, AP), !.
arg_pos(Pos, _, Pos).
