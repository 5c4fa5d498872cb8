:- module(nesy_lint,
          [ nesy_check/2,             % +Source, -Report
            nesy_check/3              % +Source, +Options, -Report
          ]).

/** <module> The rule checker: every problem of a rule file, without loading it

The loader (nesy_program.pl) stops at the first problems it finds and only
complains about an undefined predicate when a query reaches it.  The checker
reads the whole text with the same reader (resuming after each syntax
error), checks every clause on its own and then the program as a whole, and
reports all it finds.  Nothing is asserted into a program module and no rule
is ever called.  A program of several files (a bundle's rules) is checked as
one, each file read on its own (see nesy_program:source_segments/2).

The report is one text, one record a line:

    E <where> <severity> <code> <message>   a problem at an offset or Line:Column
    U <where> <name/arity>                  a call or query of an undefined predicate
    X <start> <end>                         text that did not parse (a syntax error)
    P <name/arity>                          a predicate of the file or a safe built-in
    K <start> <end>                         where a clause starts and ends (offsets)
    N <offset> <net>                        a neural predicate nn(Net, ...) and where Net is
    G <index> <status> [<name/arity>]       what became of the Index-th goal of goals/1
    Z <name/arity>                          an external predicate that nothing uses
    O <offset> <head>                       a head of a goal's predicate that no goal matches

Python turns U records into `undefined` diagnostics with a "did you mean"
over the P records, and reads the %! metadata of the clauses at K.  The N,
G and Z records serve the checks of a bundle, which knows its networks, its
decision goals and where its external predicates come from.
*/

:- use_module(library(lists)).
:- use_module(library(apply)).
:- use_module(library(ugraphs)).
:- use_module(library(assoc)).
:- use_module(library(ordsets)).
:- use_module(library(error)).
:- use_module(nesy_builtins).
:- use_module(nesy_program, [pos_start/2, pos_end/2, arg_pos/3, control/4, called_goal/2,
                              source_segments/2, open_segment/2, nesy_read_goal/3]).

:- op(1000, xfx, ::).

:- dynamic
    problem/4,                        % Where, Severity, Code, Message
    undefined_at/2,                   % Where, Name/Arity
    unread/2,                         % Start, End of a term with a syntax error
    defined_pred/1,                   % Name/Arity
    external_pred/1,                  % Name/Arity
    nn_use/2,                         % Net, Offset
    goal_status/2,                    % Index, 'Status Name/Arity'
    unasked/2,                        % Offset, HeadText
    call_edge/4.                      % FromPI, ToPI, Sign, Offset

%!  nesy_check(+Source, -Report:string) is det.
%
%   Check the ProbLog program Source (a text, or the files of a program as
%   in nesy_program:source_segments/2) and describe every problem in Report.
nesy_check(Source, Report) :-
    nesy_check(Source, [], Report).

%!  nesy_check(+Source, +Options:list, -Report:string) is det.
%
%   As nesy_check/2, with the Options:
%
%     - external(+PIs)
%       Name/Arity of predicates whose facts come with each query (a case
%       record, a knowledge graph): defined, without clauses.
%     - goals(+Texts)
%       Goals, as text, that the program is asked besides its own queries
%       (a bundle's decision query, one a label): each gets a G record,
%       `ok`, `unreadable`, `nonground`, `undefined` (no clause defines its
%       predicate) or `unmatched` (no clause head unifies with it), and
%       counts as a query for the unreachable clauses.  A clause head of
%       the goals' predicates that no goal unifies with gets an O record.
nesy_check(Source, Options, Report) :-
    source_segments(Source, Segments),
    must_be(list, Options),
    check_option(external(External), Options, []),
    check_option(goals(Goals), Options, []),
    must_be(list(text), Goals),
    setup_call_cleanup(cleanup,
                       check_text(Segments, External, Goals, Report),
                       cleanup).

check_option(Option, Options, Default) :-
    (   memberchk(Option, Options)
    ->  true
    ;   arg(1, Option, Default)
    ).

cleanup :-
    retractall(problem(_, _, _, _)),
    retractall(undefined_at(_, _)),
    retractall(unread(_, _)),
    retractall(defined_pred(_)),
    retractall(external_pred(_)),
    retractall(nn_use(_, _)),
    retractall(goal_status(_, _)),
    retractall(unasked(_, _)),
    retractall(call_edge(_, _, _, _)).

check_text(Segments, External, Goals, Report) :-
    read_items(Segments, Items),
    classify_items(Items, Clauses, Requests),
    forall(member(PI, External), define_external(PI)),
    forall(member(C, Clauses), define(C)),
    forall(member(C, Clauses), guarded(C, check_clause(C))),
    forall(member(R, Requests), check_request(R)),
    goal_requests(Goals, Clauses, GoalRequests),
    append(Requests, GoalRequests, AllRequests),
    catch(program_checks(Clauses, AllRequests), E,
          ( message_to_text(E, Message),
            add(0, error, malformed, 'cannot check the program: ~w', [Message]) )),
    report(Clauses, AllRequests, Report).

define_external(PI) :-
    must_be(ground, PI),
    (   PI = Name/Arity, atom(Name), integer(Arity), Arity >= 0
    ->  true
    ;   domain_error(predicate_indicator, PI)
    ),
    assertz(external_pred(PI)),
    (   defined_pred(PI) -> true ; assertz(defined_pred(PI)) ).

%!  goal_requests(+Goals, +Clauses, -Requests) is det.
%
%   Record the status of each goal; those whose predicate is defined are
%   requests (for the unreachable clauses).
goal_requests(Goals, Clauses, Requests) :-
    findall(I-G, nth1(I, Goals, G), Indexed),
    foldl(goal_request(Clauses), Indexed, Requests, []),
    unasked_heads(Clauses, Requests).

%   The heads of the goals' predicates that no goal unifies with: answers
%   that nobody asks for (a misspelled label).
unasked_heads(Clauses, Requests) :-
    findall(PI, ( member(request(goal, G, _), Requests), pred_indicator(G, PI) ), PIs0),
    sort(PIs0, PIs),
    forall(( member(clause(Heads, _, _, _, _, _, _, _, vars(Names, _)), Clauses),
             member(head(H, HPos, _), Heads),
             pred_indicator(H, PI), memberchk(PI, PIs),
             \+ ( member(request(goal, G, _), Requests), \+ H \= G ) ),
           ( pos_start(HPos, Offset),
             term_text(H, Names, Text),
             assertz(unasked(Offset, Text)) )).

goal_request(Clauses, I-Text, Rs0, Rs) :-
    nesy_read_goal(Text, Goal, Error),
    (   Error \== ""
    ->  Status = unreadable
    ;   ( \+ callable(Goal) ; zero_arity(Goal) )
    ->  Status = unreadable
    ;   \+ ground(Goal)
    ->  Status = nonground
    ;   pred_indicator(Goal, PI),
        \+ defined_pred(PI)
    ->  Status = undefined
    ;   pred_indicator(Goal, PI),
        external_pred(PI)
    ->  Status = ok
    ;   \+ ( member(clause(Heads, _, _, _, _, _, _, _, _), Clauses),
             member(head(H, _, _), Heads),
             \+ H \= Goal )
    ->  Status = unmatched
    ;   Status = ok
    ),
    (   callable(Goal), \+ zero_arity(Goal)
    ->  pred_indicator(Goal, N/A),
        format(atom(Record), '~w ~q/~w', [Status, N, A])
    ;   Record = Status
    ),
    assertz(goal_status(I, Record)),
    (   memberchk(Status, [ok, unmatched])
    ->  Rs0 = [request(goal, Goal, -1)|Rs]
    ;   Rs0 = Rs
    ).

%   A clause the checks cannot handle is a problem of that clause, never a
%   failed check of the whole file.
guarded(C, Goal) :-
    catch(Goal, E, internal_problem(C, E)),
    !.
guarded(_, _).

internal_problem(clause(_, _, _, _, Start, _, _, _, _), E) :-
    message_to_text(E, Text),
    add(Start, error, malformed, 'cannot check this clause: ~w', [Text]).

add(Where, Severity, Code, Format, Args) :-
    format(atom(Message0), Format, Args),
    split_string(Message0, "\n", " ", Parts),
    atomic_list_concat(Parts, ' ', Message),
    assertz(problem(Where, Severity, Code, Message)).

message_to_text(E, Text) :-
    catch(( message_to_codes(E, Codes), atom_codes(Text, Codes) ),
          _,
          format(atom(Text), '~q', [E])).

message_to_codes(E, Codes) :-
    '$messages':translate_message(E, Lines, []),
    with_output_to(codes(Codes), print_message_lines(current_output, '', Lines)).

		 /*******************************
		 *            READING           *
		 *******************************/

%   item(Term, Pos, VariableNames, Singletons)
read_items(Segments, Items) :-
    maplist(read_segment, Segments, ItemLists),
    append(ItemLists, Items).

read_segment(Segment, Items) :-
    setup_call_cleanup(open_segment(Segment, S), read_all(S, Items), close(S)).

read_all(S, Items) :-
    character_count(S, Before),
    catch(read_term(S, Term, [ syntax_errors(error),
                               subterm_positions(Pos),
                               variable_names(Names),
                               singletons(Singletons),
                               module(nesy_lint),
                               double_quotes(string),
                               back_quotes(codes)
                             ]),
          E, true),
    (   nonvar(E)
    ->  syntax_problem(E),
        character_count(S, After),
        assertz(unread(Before, After)),
        (   After > Before
        ->  read_all(S, Items)
        ;   Items = []
        )
    ;   Term == end_of_file
    ->  Items = []
    ;   Items = [item(Term, Pos, Names, Singletons)|Rest],
        read_all(S, Rest)
    ).

syntax_problem(error(syntax_error(What), stream(_, Line, LinePos, _))) :- !,
    syntax_message(What, Message),
    Column is LinePos + 1,
    add(Line:Column, error, syntax, '~w', [Message]).
syntax_problem(error(syntax_error(What), string(_, Offset))) :- !,
    syntax_message(What, Message),
    add(Offset, error, syntax, '~w', [Message]).
syntax_problem(E) :-
    message_to_text(E, Message),
    add(0, error, syntax, '~w', [Message]).

syntax_message(What, Message) :-
    (   atom(What)
    ->  atomic_list_concat(Parts, '_', What),
        atomic_list_concat(Parts, ' ', Message)
    ;   format(atom(Message), '~w', [What])
    ).

		 /*******************************
		 *          CLASSIFYING         *
		 *******************************/

%   clause(Heads, Body, BodyPos, Annotation, Start, End, Term, Pos, vars(Names, Singletons))
%     Heads: [head(Atom, AtomPos, Prob)], Prob: none | const(V) | flexible(P) | bad
%     Annotation: det | prob | nn
%   request(Kind, Atom, AtomOffset), Kind: query | evidence
%   A clause whose heads are all unusable has Heads = [] (it still has a span).

classify_items([], [], []).
classify_items([item(T, Pos, Names, Singletons)|Items], Cs, Rs) :-
    (   catch(classify(T, Pos, vars(Names, Singletons), Kind), E,
              ( pos_start(Pos, Start),
                message_to_text(E, Text),
                add(Start, error, malformed, 'cannot check this clause: ~w', [Text]),
                Kind = none ))
    ->  true
    ;   Kind = none
    ),
    (   Kind = clause(C)
    ->  Cs = [C|Cs1], Rs = Rs1
    ;   Kind = request(R)
    ->  Rs = [R|Rs1], Cs = Cs1
    ;   Cs = Cs1, Rs = Rs1
    ),
    classify_items(Items, Cs1, Rs1).

classify(T, Pos, _, none) :-
    var(T), !,
    pos_start(Pos, Offset),
    add(Offset, error, malformed, 'a clause cannot be a variable', []).
classify((:- D), Pos, vars(Names, _), none) :- !,
    arg_pos(Pos, 1, DPos),
    pos_start(DPos, Offset),
    directive(D, Offset, Names).
classify(query(Q), Pos, vars(Names, _), Kind) :- !,
    arg_pos(Pos, 1, QPos),
    pos_start(QPos, Offset),
    (   callable(Q), \+ zero_arity(Q)
    ->  Kind = request(request(query, Q, Offset))
    ;   term_text(Q, Names, Text),
        add(Offset, error, malformed, 'query/1 needs an atom, not ~w', [Text]),
        Kind = none
    ).
classify(evidence(A), Pos, vars(Names, _), Kind) :- !,
    arg_pos(Pos, 1, APos),
    evidence_request(A, APos, Names, Kind).
classify(evidence(A, V), Pos, vars(Names, _), Kind) :- !,
    arg_pos(Pos, 1, APos),
    (   memberchk(V, [true, false, 1, 0])
    ->  true
    ;   arg_pos(Pos, 2, VPos), pos_start(VPos, VOffset),
        add(VOffset, error, malformed, 'evidence value must be true or false, not ~q', [V])
    ),
    evidence_request(A, APos, Names, Kind).
classify(T, Pos, Vars, clause(clause(Heads, B, BPos, Ann, Start, End, T, Pos, Vars))) :-
    pos_start(Pos, Start),
    pos_end(Pos, End),
    (   T = (H :- B)
    ->  arg_pos(Pos, 1, HPos), arg_pos(Pos, 2, BPos)
    ;   H = T, B = true, HPos = Pos, BPos = Pos
    ),
    Vars = vars(Names, _),
    (   heads(H, HPos, Names, Heads, Ann)
    ->  true
    ;   Heads = [], Ann = det
    ).

evidence_request(A, APos, Names, Kind) :-
    pos_start(APos, Offset),
    (   nonvar(A), A = (\+ B)
    ->  arg_pos(APos, 1, BPos),
        evidence_request(B, BPos, Names, Kind)
    ;   callable(A), \+ zero_arity(A)
    ->  Kind = request(request(evidence, A, Offset)),
        (   ground(A)
        ->  true
        ;   term_text(A, Names, Text),
            add(Offset, error, malformed, 'evidence ~w is not ground', [Text])
        )
    ;   term_text(A, Names, Text),
        add(Offset, error, malformed, 'evidence needs an atom, not ~w', [Text]),
        Kind = none
    ).

%   A term as written, with its variable names (and _ for the anonymous ones).
term_text(T, Names, Text) :-
    copy_term(T-Names, T1-Names1),
    maplist(name_variable, Names1),
    term_variables(T1, Anonymous),
    maplist(=('$VAR'('_')), Anonymous),
    format(atom(Text), '~W', [T1, [quoted(true), numbervars(true)]]).

name_variable(Name=V) :- ( var(V) -> V = '$VAR'(Name) ; true ).

%   The directives the loader accepts (nesy_program:directive/2).
directive(D, Offset, Names) :-
    (   var(D)
    ->  add(Offset, error, malformed, 'a directive cannot be a variable', [])
    ;   D = use_module(library(Lib)), atom(Lib)
    ->  (   memberchk(Lib, [lists, apply, aggregate, between])
        ->  true
        ;   add(Offset, error, forbidden, 'library(~w) is not available in rule files', [Lib])
        )
    ;   pred_indicator(D, Name/Arity),
        term_text(D, Names, Text),
        add(Offset, error, forbidden,
            'directive ~w is not allowed in rule files (forbidden goal ~q/~w)', [Text, Name, Arity])
    ).

%!  heads(+Head, +Pos, +Names, -Heads, -Annotation) is semidet.
%
%   The heads of a clause; fails (after adding a problem) when none is usable.
heads(H, Pos, Names, Heads, Ann) :-
    pos_start(Pos, Offset),
    (   var(H)
    ->  add(Offset, error, malformed, 'a clause head cannot be a variable', []),
        fail
    ;   H = (_ ; _)
    ->  disjunction_heads(H, Pos, Names, Heads0),
        exclude(skipped_head, Heads0, Heads),
        Heads \== [],
        Ann = prob
    ;   H = (NN :: A), nonvar(NN), nn_annotation(NN)
    ->  arg_pos(Pos, 2, APos),
        check_head(A, APos, Names),
        check_nn(NN, Offset),
        arg_pos(Pos, 1, NNPos),
        nn_used(NN, NNPos),
        Heads = [head(A, APos, none)],
        Ann = nn
    ;   H = (P :: A)
    ->  prob_head(P, A, Pos, Names, Head),
        Head = head(_, _, Prob), Prob \== skip,
        Heads = [Head],
        Ann = prob
    ;   check_head(H, Pos, Names),
        Heads = [head(H, Pos, none)],
        Ann = det
    ).

skipped_head(head(_, _, skip)).

nn_annotation(nn(_, _, _, _)).
nn_annotation(nn(_, _)).

disjunction_heads(H, Pos, Names, Heads) :-
    (   nonvar(H), H = (L ; R)
    ->  arg_pos(Pos, 1, LPos), arg_pos(Pos, 2, RPos),
        disjunction_heads(L, LPos, Names, LH),
        disjunction_heads(R, RPos, Names, RH),
        append(LH, RH, Heads)
    ;   nonvar(H), H = (P :: A)
    ->  prob_head(P, A, Pos, Names, Head),
        Heads = [Head]
    ;   pos_start(Pos, Offset),
        term_text(H, Names, Text),
        add(Offset, error, malformed,
            'each head of an annotated disjunction needs a probability (P::~w)', [Text]),
        Heads = []
    ).

%   A head whose atom is unusable has Prob = skip; a bad probability keeps
%   the head (its predicate is still defined) with Prob = bad.
prob_head(P, A, Pos, Names, head(A, APos, Prob)) :-
    arg_pos(Pos, 1, PPos),
    arg_pos(Pos, 2, APos),
    (   check_head(A, APos, Names)
    ->  probability(P, PPos, Prob)
    ;   Prob = skip
    ).

probability(P, PPos, Prob) :-
    pos_start(PPos, Offset),
    (   var(P)
    ->  Prob = flexible(P)
    ;   P = t(_)
    ->  add(Offset, error, probability, 'learnable probabilities t(_) are not supported yet', []),
        Prob = bad
    ;   \+ ground(P)
    ->  Prob = flexible(P)
    ;   catch(V is P, _, fail), number(V)
    ->  (   float(V), float_class(V, nan)
        ->  add(Offset, error, probability, 'probability ~q is NaN, not a number in [0,1]', [P]),
            Prob = bad
        ;   V >= 0, V =< 1
        ->  Prob = const(V)
        ;   add(Offset, error, probability, 'probability ~w is outside [0,1]', [V]),
            Prob = bad
        )
    ;   add(Offset, error, probability, 'probability ~q is not a number', [P]),
        Prob = bad
    ).

check_head(H, Pos, Names) :-
    pos_start(Pos, Offset),
    (   var(H)
    ->  add(Offset, error, malformed, 'a clause head cannot be a variable', []), fail
    ;   ( \+ callable(H) ; zero_arity(H) )
    ->  term_text(H, Names, Text),
        add(Offset, error, malformed, '~w cannot be a clause head', [Text]), fail
    ;   H = (_:_)
    ->  term_text(H, Names, Text),
        add(Offset, error, malformed,
            '~w cannot be a clause head: a rule file has no modules (a probability reads P::Head)',
            [Text]), fail
    ;   compound(H), compound_name_arity(H, '.', 2)
    ->  term_text(H, Names, Text),
        add(Offset, error, malformed, '~w cannot be a clause head (dict notation)', [Text]), fail
    ;   reserved_head(H)
    ->  functor(H, N, A),
        add(Offset, error, redefined, 'cannot redefine the built-in predicate ~q', [N/A]), fail
    ;   true
    ).

nn_used(NN, NNPos) :-
    arg(1, NN, Net),
    (   atom(Net)
    ->  arg_pos(NNPos, 1, NetPos),
        pos_start(NetPos, Offset),
        assertz(nn_use(Net, Offset))
    ;   true
    ).

check_nn(NN, Offset) :-
    (   (   NN = nn(Net, Inputs, _, Domain)
        ->  atom(Net), is_list(Inputs), is_list(Domain), Domain \== []
        ;   NN = nn(Net, Inputs), atom(Net), is_list(Inputs)
        )
    ->  true
    ;   add(Offset, error, malformed,
            'a neural predicate reads nn(Net, [Inputs], Output, [Values]) :: Head', [])
    ).

define(clause(Heads, _, _, _, _, _, _, _, _)) :-
    forall(member(head(H, _, _), Heads),
           ( pred_indicator(H, PI),
             ( defined_pred(PI) -> true ; assertz(defined_pred(PI)) ) )).

pred_indicator(H, N/A) :-
    (   compound(H)
    ->  compound_name_arity(H, N, A)
    ;   functor(H, N, A)
    ).

%   p() is a compound of arity 0, which no predicate can take.
zero_arity(T) :- compound(T), compound_name_arity(T, _, 0).

		 /*******************************
		 *        ONE CLAUSE AT A TIME  *
		 *******************************/

check_clause(C) :-
    C = clause(Heads, Body, BPos, Ann, Start, _, T, Pos, vars(Ns, Singletons)),
    ad_mass(Heads, Start),
    forall(member(head(H, _, _), Heads),
           ( pred_indicator(H, From), calls(From, Body, BPos) )),
    head_safety(Heads, Body, Ann, T, Pos, Ns, Singletons, HeadErrors),
    singletons(Singletons, T, Pos, HeadErrors),
    heads_term(Heads, HeadsTerm),
    term_variables(HeadsTerm, Bound0),
    safe(Body, BPos, HeadsTerm, Ns, Bound0, _).

ad_mass(Heads, Start) :-
    findall(V, member(head(_, _, const(V)), Heads), Vs),
    sum_list(Vs, Mass),
    (   Mass > 1 + 1.0e-9
    ->  add(Start, error, 'ad-mass',
            'the probabilities of the annotated disjunction sum to ~15g, more than 1', [Mass])
    ;   true
    ).

heads_term(Heads, T) :-                 % no findall: it would copy the variables
    maplist(head_atom, Heads, Hs),
    T =.. [h|Hs].

head_atom(head(H, _, _), H).

head_probability(head(_, _, Prob), P) :-
    (   Prob = flexible(P0) -> P = P0 ; P = [] ).

%   Every call of the body: an edge of the call graph, a safe built-in, a
%   forbidden goal or an undefined predicate.
calls(From, Body, BPos) :-
    forall(body_goal(Body, BPos, pos, G, GPos, Sign),
           call_kind(From, G, GPos, Sign)).

call_kind(From, G, GPos, Sign) :-
    pos_start(GPos, Offset),
    (   ( \+ callable(G) ; zero_arity(G) )
    ->  add(Offset, error, malformed, '~q is not a goal', [G])
    ;   pred_indicator(G, PI),
        (   defined_pred(PI)
        ->  assertz(call_edge(From, PI, Sign, Offset))
        ;   builtin_goal(G, _)
        ->  true
        ;   PI = N/A, meta_builtin(N/A)
        ->  true
        ;   forbidden_goal(G)
        ->  add(Offset, error, forbidden,
                'forbidden goal ~q: not in the safe set of built-ins', [PI])
        ;   assertz(undefined_at(Offset, PI))
        )
    ).

%!  body_goal(+Body, +Pos, +Sign, -Goal, -GoalPos, -GoalSign) is nondet.
%
%   The goals of Body that are not control constructs, with their sign: pos,
%   neg (under negation or in the condition of if-then-else) or agg (under
%   findall/3 and friends), as the loader signs the edges of the call graph.
body_goal(B, P, S, G, GP, GS) :-
    nonvar(B),
    (   control(B, P, S, Subs)
    ->  member(sub(B1, P1, S1), Subs),
        body_goal(B1, P1, S1, G, GP, GS)
    ;   G = B, GP = P, GS = S
    ).

%   Head variables that the body does not bind.  The instances of a
%   probabilistic clause must be ground (an error); a deterministic rule may
%   answer with unbound variables (a warning; its singletons are reported
%   as such, and facts such as member_of(X, [X|_]) are fine).
head_safety(_, _, nn, _, _, _, _, []) :- !.
head_safety(Heads, Body, Ann, T, Pos, Names, Singletons, Errors) :-
    term_variables(Body, BodyVars),
    heads_term(Heads, HeadsTerm),
    term_variables(HeadsTerm, HeadVars),
    vars_not_in(HeadVars, BodyVars, Free),
    (   Ann == prob
    ->  maplist(head_probability, Heads, Probs),  % no findall: it would copy
        term_variables(Probs, PVars),
        vars_not_in(PVars, BodyVars, Unbound0),
        vars_not_in(Unbound0, Free, Unbound),
        append(Free, Unbound, Errors),
        report_vars(Free, T, Pos, Names, 'unsafe-head',
                    'head variable ~w does not occur in the body: the instances of a probabilistic clause must be ground'),
        report_vars(Unbound, T, Pos, Names, probability,
                    'the probability variable ~w is not bound by the body')
    ;   Body == true
    ->  Errors = []
    ;   Errors = [],
        forall(( member(V, Free),
                 var_name(Names, V, Name), \+ sub_atom(Name, 0, _, _, '_'),
                 \+ ( member(_=S, Singletons), S == V ) ),
               ( var_offset(T, Pos, V, Offset),
                 add(Offset, warning, 'unsafe-head',
                     'head variable ~w does not occur in the body: the rule can answer with ~w unbound',
                     [Name, Name]) ))
    ).

var_name(Names, V, Name) :-
    member(Name=W, Names), W == V, !.
var_name(_, _, '_').

%   An error of Code at each of Vars, where it occurs in T (read at Pos);
%   Format takes the variable's name.
report_vars(Vars, T, Pos, Names, Code, Format) :-
    forall(member(V, Vars),
           ( var_offset(T, Pos, V, Offset), var_name(Names, V, Name),
             add(Offset, error, Code, Format, [Name]) )).

singletons(Singletons, T, Pos, Skip) :-
    forall(( member(Name=V, Singletons),
             \+ sub_atom(Name, 0, _, _, '_'),
             \+ var_in(V, Skip) ),
           ( var_offset(T, Pos, V, Offset),
             add(Offset, warning, singleton,
                 'singleton variable ~w: it occurs once in the clause (write _~w if that is meant)',
                 [Name, Name]) )).

%!  safe(+Goal, +Pos, +Outside, +Names, +Bound0, -Bound) is det.
%
%   Walk a body left to right with the variables bound so far (the head's,
%   which the caller may bind, and those of earlier positive goals).  A
%   variable of arithmetic must be bound; a variable of a negation that also
%   occurs outside it (Outside holds the rest of the clause) must be bound
%   when the negation is called.  Variables that occur only inside a
%   negation are local to it (\+ edge(X, _Y), ...) and fine.
safe(G, _, _, _, B, B) :- var(G), !.
safe((A, C), P, O, Ns, B0, B) :- !,
    arg_pos(P, 1, PA), arg_pos(P, 2, PC),
    safe(A, PA, O-C, Ns, B0, B1),
    safe(C, PC, O-A, Ns, B1, B).
safe((A ; C), P, O, Ns, B0, B) :- !,
    arg_pos(P, 1, PA), arg_pos(P, 2, PC),
    (   nonvar(A), A = (If -> Then)
    ->  arg_pos(PA, 1, PIf), arg_pos(PA, 2, PThen),
        safe(If, PIf, O-Then-C, Ns, B0, B1),
        safe(Then, PThen, O-If-C, Ns, B1, BA)
    ;   safe(A, PA, O-C, Ns, B0, BA)
    ),
    safe(C, PC, O-A, Ns, B0, BC),
    vars_in(BA, BC, B).
safe((If -> Then), P, O, Ns, B0, B) :- !,
    safe((If, Then), P, O, Ns, B0, B).
safe((If *-> Then), P, O, Ns, B0, B) :- !,
    safe((If, Then), P, O, Ns, B0, B).
safe(\+ G, P, O, Ns, B0, B0) :- !,
    arg_pos(P, 1, PG),
    negation_safety(G, PG, O, Ns, B0).
safe(not(G), P, O, Ns, B0, B0) :- !,
    arg_pos(P, 1, PG),
    negation_safety(G, PG, O, Ns, B0).
safe(findall(T, G, R), P, O, Ns, B0, B) :- !,
    arg_pos(P, 2, PG),
    safe(G, PG, O-T-R, Ns, B0, _),
    add_vars(R, B0, B).
safe(aggregate_all(S, G, R), P, O, Ns, B0, B) :- !,
    arg_pos(P, 2, PG),
    safe(G, PG, O-S-R, Ns, B0, _),
    add_vars(R, B0, B).
safe(forall(C, A), P, O, Ns, B0, B0) :- !,
    arg_pos(P, 1, PC), arg_pos(P, 2, PA),
    safe(C, PC, O-A, Ns, B0, B1),
    safe(A, PA, O-C, Ns, B1, _).
safe(Call, P, O, Ns, B0, B) :-
    called_goal(Call, G), !,
    safe(G, P, O, Ns, B0, B).
safe(X is E, P, _, Ns, B0, B) :- !,
    arg_pos(P, 2, PE),
    evaluable(E, PE, Ns),
    arithmetic_safety(E, PE, Ns, B0),
    add_vars(X-E, B0, B).
safe(G, P, _, Ns, B0, B) :-
    compound(G), compound_name_arguments(G, N, [L, R]),
    memberchk(N, [<, >, =<, >=, =:=, =\=]), !,
    arg_pos(P, 1, PL), arg_pos(P, 2, PR),
    evaluable(L, PL, Ns),
    evaluable(R, PR, Ns),
    arithmetic_safety(G, P, Ns, B0),
    add_vars(G, B0, B).
safe(G, _, _, _, B0, B) :-
    (   test_goal(G)
    ->  B = B0
    ;   add_vars(G, B0, B)
    ).

%   Built-ins that check their arguments without binding them.
test_goal(G) :-
    callable(G),
    pred_indicator(G, N/A),
    memberchk(N/A, [ (\=)/2, (==)/2, (\==)/2, (@<)/2, (@>)/2, (@=<)/2, (@>=)/2,
                     var/1, nonvar/1, ground/1, atom/1, number/1, integer/1, float/1,
                     atomic/1, compound/1, callable/1, is_list/1, string/1,
                     true/0, fail/0, false/0 ]).

negation_safety(G, PG, O, Ns, B0) :-
    term_variables(G, GVars),
    term_variables(O, OVars),
    vars_in(GVars, OVars, Global),
    vars_not_in(Global, B0, Unsafe),
    report_vars(Unsafe, G, PG, Ns, 'unsafe-negation',
                'variable ~w may be unbound when the negation is called: bind it by a positive goal before the \\+'),
    append(Unsafe, B0, B1),
    safe(G, PG, O, Ns, B1, _).

arithmetic_safety(E, PE, Ns, B0) :-
    term_variables(E, Vars),
    vars_not_in(Vars, B0, Unbound),
    report_vars(Unbound, E, PE, Ns, 'unsafe-arithmetic',
                'variable ~w in arithmetic is not bound by the head or an earlier goal').

%   An expression that SWI-Prolog cannot evaluate is a type error when it runs.
evaluable(E, P, Names) :-
    (   not_evaluable(E, P, Bad, BadPos)
    ->  pos_start(BadPos, Offset),
        term_text(Bad, Names, Text),
        add(Offset, error, arithmetic, '~w is not an arithmetic expression', [Text])
    ;   true
    ).

not_evaluable(E, P, Bad, BadPos) :-
    (   var(E)
    ->  fail
    ;   number(E)
    ->  fail
    ;   string(E)
    ->  \+ string_length(E, 1), Bad = E, BadPos = P
    ;   atom(E)
    ->  \+ current_arithmetic_function(E), Bad = E, BadPos = P
    ;   E = [X]
    ->  not_evaluable(X, P, Bad, BadPos)
    ;   compound(E)
    ->  compound_name_arguments(E, N, Args),
        length(Args, A),
        functor(T, N, A),
        (   current_arithmetic_function(T)
        ->  nth1(I, Args, Arg),
            arg_pos(P, I, AP),
            not_evaluable(Arg, AP, Bad, BadPos),
            !
        ;   Bad = E, BadPos = P
        )
    ;   Bad = E, BadPos = P
    ).

add_vars(T, B0, B) :-
    term_variables(T, Vs),
    vars_not_in(Vs, B0, New),
    append(B0, New, B).

var_in(V, Vs) :- member(W, Vs), W == V, !.

%   The variables of Vs that are (not) in Set, in the order of Vs.  (No
%   include/3 with a lambda: yall may copy the variables it shares.)
vars_in([], _, []).
vars_in([V|Vs], Set, In) :-
    (   var_in(V, Set) -> In = [V|In1] ; In = In1 ),
    vars_in(Vs, Set, In1).

vars_not_in([], _, []).
vars_not_in([V|Vs], Set, Out) :-
    (   var_in(V, Set) -> Out = Out1 ; Out = [V|Out1] ),
    vars_not_in(Vs, Set, Out1).

		 /*******************************
		 *        THE WHOLE PROGRAM     *
		 *******************************/

check_request(request(_, Atom, Offset)) :-
    pred_indicator(Atom, PI),
    (   defined_pred(PI)
    ->  true
    ;   assertz(undefined_at(Offset, PI))
    ).

program_checks(Clauses, Requests) :-
    findall(From-To, call_edge(From, To, _, _), Edges0),
    findall(PI, defined_pred(PI), Vertices),
    vertices_edges_to_ugraph(Vertices, Edges0, Graph),
    transpose_ugraph(Graph, Callers),
    list_to_assoc(Graph, Calls),
    list_to_assoc(Callers, CalledBy),
    stratification(Calls, CalledBy),
    prob_aggregates(Clauses, CalledBy),
    unreachable(Clauses, Requests, Calls).

%!  reach(+Starts, +Graph, -Reached) is det.
%
%   The vertices reachable from Starts (included) in Graph, an assoc of
%   vertex to neighbours; Reached is an ordered set.
reach(Starts, Graph, Reached) :-
    empty_assoc(Seen0),
    reach_(Starts, Graph, Seen0, Seen),
    assoc_to_keys(Seen, Reached).

reach_([], _, Seen, Seen).
reach_([V|Vs], Graph, Seen0, Seen) :-
    (   get_assoc(V, Seen0, _)
    ->  reach_(Vs, Graph, Seen0, Seen)
    ;   put_assoc(V, Seen0, true, Seen1),
        (   get_assoc(V, Graph, Next) -> true ; Next = [] ),
        append(Next, Vs, Todo),
        reach_(Todo, Graph, Seen1, Seen)
    ).

%   A negative edge From -> To on a cycle (To reaches From) breaks the
%   stratification; the cycle is every predicate between To and From.
stratification(Calls, CalledBy) :-
    findall(From-To, call_edge(From, To, neg, _), NegEdges0),
    sort(NegEdges0, NegEdges),
    forall(( member(From-To, NegEdges),
             reach([To], Calls, FromTo),
             ord_memberchk(From, FromTo) ),
           ( reach([From], CalledBy, ToFrom),
             ord_intersection(FromTo, ToFrom, Cycle0),
             sort([From, To|Cycle0], Cycle),
             cycle_names(Cycle, Names),
             once(call_edge(From, To, neg, Offset)),
             add(Offset, error, 'not-stratified',
                 'the program is not stratified: ~w form a cycle through negation (~q calls \\+ ~q)',
                 [Names, From, To]) )).

%   A long cycle is named by its first predicates.
cycle_names(Cycle, Names) :-
    length(Cycle, N),
    (   N > 12
    ->  length(First, 10), append(First, _, Cycle),
        pi_list(First, Names0),
        More is N - 10,
        format(atom(Names), '~w and ~d more', [Names0, More])
    ;   pi_list(Cycle, Names)
    ).

pi_list(PIs, Text) :-
    maplist(pi_text, PIs, Ts),
    atomic_list_concat(Ts, ', ', Text).

pi_text(N/A, T) :- format(atom(T), '~q/~w', [N, A]).

%   findall/3, forall/2 and aggregate_all/3 run over deterministic goals only.
prob_aggregates(Clauses, CalledBy) :-
    findall(PI, ( member(clause(Heads, _, _, Ann, _, _, _, _, _), Clauses), Ann \== det,
                  member(head(H, _, _), Heads), pred_indicator(H, PI) ), Prob0),
    sort(Prob0, ProbBase),
    reach(ProbBase, CalledBy, Prob),
    forall(( member(clause(_, Body, BPos, _, _, _, _, _, _), Clauses),
             scoped_goal(Body, BPos, What, Inner, InnerPos, Where),
             once(( body_goal(Inner, InnerPos, pos, G, _, _), callable(G),
                    pred_indicator(G, PI), memberchk(PI, Prob) )) ),
           ( pos_start(Where, Offset),
             add(Offset, error, 'prob-aggregate',
                 'the goal of ~w depends on probabilistic facts; ~w is only allowed over deterministic goals',
                 [What, What]) )).


%   The findall/3, forall/2 and aggregate_all/3 goals anywhere in a body.
scoped_goal(B, P, What, Inner, InnerPos, Where) :-
    nonvar(B),
    (   scope(B, P, What0, Inner0, InnerPos0, Where0)
    ->  (   What = What0, Inner = Inner0, InnerPos = InnerPos0, Where = Where0
        ;   scoped_goal(Inner0, InnerPos0, What, Inner, InnerPos, Where)
        )
    ;   control(B, P, pos, Subs)
    ->  member(sub(B1, P1, _), Subs),
        scoped_goal(B1, P1, What, Inner, InnerPos, Where)
    ).

scope(findall(_, G, _), P, findall/3, G, PG, PG) :- arg_pos(P, 2, PG).
scope(forall(C, A), P, forall/2, (C, A), term_position(0, 0, 0, 0, [PC, PA]), P) :-
    arg_pos(P, 1, PC), arg_pos(P, 2, PA).
scope(aggregate_all(_, G, _), P, aggregate_all/3, G, PG, PG) :- arg_pos(P, 2, PG).

%   Clauses that no query or evidence depends on (when the file has any,
%   and all of it parses: otherwise the call graph misses edges).
unreachable(_, [], _) :- !.
unreachable(_, _, _) :- unread(_, _), !.
unreachable(Clauses, Requests, Calls) :-
    findall(PI, ( member(request(_, A, _), Requests), pred_indicator(A, PI) ), Targets),
    reach(Targets, Calls, Reached),
    forall(( member(clause(Heads, _, _, _, Start, _, _, _, _), Clauses),
             Heads \== [],
             findall(PI, ( member(head(H, _, _), Heads), pred_indicator(H, PI) ), PIs0),
             sort(PIs0, PIs),
             \+ ( member(PI, PIs), ord_memberchk(PI, Reached) ) ),
           ( pi_list(PIs, Names),
             add(Start, warning, unreachable,
                 'no query or evidence depends on ~w: the clause is never used', [Names]) )).

		 /*******************************
		 *            REPORT            *
		 *******************************/

report(Clauses, Requests, Report) :-
    findall(R, problem_record(R), Es),
    findall(R, ( undefined_at(Where, N/A),
                 format(atom(R), 'U ~w ~q/~w', [Where, N, A]) ), Us),
    findall(PI, ( defined_pred(PI) ; safe_builtin(PI) ), PIs0),
    sort(PIs0, PIs),
    findall(R, ( member(N/A, PIs), format(atom(R), 'P ~q/~w', [N, A]) ), Ps),
    findall(R, ( member(clause(_, _, _, _, Start, End, _, _, _), Clauses),
                 format(atom(R), 'K ~d ~d', [Start, End]) ), Ks),
    findall(R, ( unread(Start, End), format(atom(R), 'X ~d ~d', [Start, End]) ), Xs),
    findall(R, ( nn_use(Net, Offset), format(atom(R), 'N ~d ~w', [Offset, Net]) ), Ns),
    findall(R, ( goal_status(I, Status), format(atom(R), 'G ~d ~w', [I, Status]) ), Gs),
    findall(R, ( unused_external(Requests, N/A), format(atom(R), 'Z ~q/~w', [N, A]) ), Zs),
    findall(R, ( unasked(Offset, Text), format(atom(R), 'O ~d ~w', [Offset, Text]) ), Os),
    append([Es, Us, Ps, Ks, Xs, Ns, Gs, Zs, Os], All),
    atomic_list_concat(All, '\n', Report0),
    atom_string(Report0, Report).

%   An external predicate that no clause, query or goal calls (unknown when
%   a clause did not parse: it may be the one that calls it).
unused_external(Requests, PI) :-
    \+ unread(_, _),
    external_pred(PI),
    \+ call_edge(_, PI, _, _),
    \+ ( member(request(_, A, _), Requests), pred_indicator(A, PI) ).

problem_record(R) :-
    problem(Where, Severity, Code, Message),
    format(atom(R), 'E ~w ~w ~w ~w', [Where, Severity, Code, Message]).

		 /*******************************
		 *           POSITIONS          *
		 *******************************/

%!  var_offset(+Term, +Pos, +Var, -Offset) is det.
%
%   Where Var first occurs in Term (read with subterm positions Pos).
var_offset(T, Pos, V, Offset) :-
    phrase(var_offsets(T, Pos), Pairs),
    (   member(W-O, Pairs), W == V
    ->  Offset = O
    ;   pos_start(Pos, Offset)
    ).

var_offsets(T, P) -->
    { var(T) }, !,
    { pos_start(P, O) },
    [T-O].
var_offsets(T, P) -->
    { nonvar(P), P = parentheses_term_position(_, _, In) }, !,
    var_offsets(T, In).
var_offsets(T, P) -->
    { nonvar(P), P = term_position(_, _, _, _, APs),
      compound(T), compound_name_arguments(T, _, As),
      same_length(As, APs) }, !,
    var_offsets_list(As, APs).
var_offsets(T, P) -->
    { nonvar(P), P = list_position(_, _, EPs, TP) }, !,
    list_offsets(T, EPs, TP, P).
var_offsets(T, P) -->
    { nonvar(P), P = brace_term_position(_, _, AP), nonvar(T), T = {A} }, !,
    var_offsets(A, AP).
var_offsets(T, P) -->
    { term_variables(T, Vs), pos_start(P, O) },
    var_pairs(Vs, O).

var_offsets_list([], []) --> [].
var_offsets_list([A|As], [P|Ps]) --> var_offsets(A, P), var_offsets_list(As, Ps).

list_offsets(T, [], TP, _) --> !,
    (   { TP == none }
    ->  []
    ;   var_offsets(T, TP)
    ).
list_offsets(T, [EP|EPs], TP, P) -->
    (   { nonvar(T), T = [H|Tl] }
    ->  var_offsets(H, EP),
        list_offsets(Tl, EPs, TP, P)
    ;   { term_variables(T, Vs), pos_start(P, O) },
        var_pairs(Vs, O)
    ).

var_pairs([], _) --> [].
var_pairs([V|Vs], O) --> [V-O], var_pairs(Vs, O).
