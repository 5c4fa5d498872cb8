:- module(nesy_builtins,
          [ builtin_goal/2,           % +Goal, -Qualified
            meta_builtin/1,           % ?Name/Arity
            forbidden_goal/1,         % +Goal
            reserved_head/1,          % +Head
            safe_builtin/1            % ?Name/Arity
          ]).

/** <module> The safe set of built-in predicates a rule file may call

Rule files never run arbitrary Prolog: a body goal is either one of the
program's own predicates, a control construct handled by the translator, or
one of the built-ins below, called module-qualified.  Everything else that
SWI-Prolog knows (files, shell, network, assert, halt, ...) is rejected when
the file is loaded.
*/

:- use_module(library(lists)).

%!  builtin(?Module, ?Name, ?Arity) is nondet.
%
%   The allow-list: side-effect free predicates ProbLog programs use.
builtin(system, true, 0).
builtin(system, fail, 0).
builtin(system, false, 0).
builtin(system, (=), 2).
builtin(system, (\=), 2).
builtin(system, (==), 2).
builtin(system, (\==), 2).
builtin(system, (@<), 2).
builtin(system, (@>), 2).
builtin(system, (@=<), 2).
builtin(system, (@>=), 2).
builtin(system, compare, 3).
builtin(system, (is), 2).
builtin(system, (=:=), 2).
builtin(system, (=\=), 2).
builtin(system, (<), 2).
builtin(system, (>), 2).
builtin(system, (=<), 2).
builtin(system, (>=), 2).
builtin(system, between, 3).
builtin(system, succ, 2).
builtin(system, plus, 3).
builtin(system, var, 1).
builtin(system, nonvar, 1).
builtin(system, ground, 1).
builtin(system, atom, 1).
builtin(system, number, 1).
builtin(system, integer, 1).
builtin(system, float, 1).
builtin(system, atomic, 1).
builtin(system, compound, 1).
builtin(system, callable, 1).
builtin(system, is_list, 1).
builtin(system, string, 1).
builtin(system, functor, 3).
builtin(system, arg, 3).
builtin(system, (=..), 2).
builtin(system, copy_term, 2).
builtin(system, atom_codes, 2).
builtin(system, atom_chars, 2).
builtin(system, char_code, 2).
builtin(system, atom_length, 2).
builtin(system, atom_concat, 3).
builtin(system, sub_atom, 5).
builtin(system, atom_number, 2).
builtin(system, number_codes, 2).
builtin(system, number_chars, 2).
builtin(system, atom_string, 2).
builtin(system, atom_to_term, 3).
builtin(system, term_to_atom, 2).
builtin(system, string_concat, 3).
builtin(system, string_chars, 2).
builtin(system, string_codes, 2).
builtin(system, string_to_atom, 2).
builtin(system, string_length, 2).
builtin(system, number_string, 2).
builtin(system, upcase_atom, 2).
builtin(system, downcase_atom, 2).
builtin(system, atomic_list_concat, 2).
builtin(system, atomic_list_concat, 3).
builtin(system, length, 2).
builtin(system, msort, 2).
builtin(system, sort, 2).
builtin(system, sort, 4).
builtin(system, keysort, 2).
builtin(lists, member, 2).
builtin(lists, memberchk, 2).
builtin(lists, append, 3).
builtin(lists, append, 2).
builtin(lists, nth0, 3).
builtin(lists, nth1, 3).
builtin(lists, last, 2).
builtin(lists, reverse, 2).
builtin(lists, select, 3).
builtin(lists, selectchk, 3).
builtin(lists, subtract, 3).
builtin(lists, intersection, 3).
builtin(lists, union, 3).
builtin(lists, delete, 3).
builtin(lists, permutation, 2).
builtin(lists, flatten, 2).
builtin(lists, list_to_set, 2).
builtin(lists, sum_list, 2).
builtin(lists, sumlist, 2).
builtin(lists, max_list, 2).
builtin(lists, min_list, 2).
builtin(lists, max_member, 2).
builtin(lists, min_member, 2).
builtin(lists, numlist, 3).
builtin(lists, nextto, 3).

%!  meta_builtin(?NameArity) is nondet.
%
%   Control constructs and meta-calls that the translator rewrites itself.
meta_builtin((',')/2).
meta_builtin((;)/2).
meta_builtin((->)/2).
meta_builtin((*->)/2).
meta_builtin((\+)/1).
meta_builtin(not/1).
meta_builtin(call/N) :- between(1, 8, N).
meta_builtin(findall/3).
meta_builtin(forall/2).
meta_builtin(aggregate_all/3).

%!  builtin_goal(+Goal, -Qualified) is semidet.
%
%   True when Goal is on the allow-list; Qualified calls its definition.
builtin_goal(Goal, Module:Goal) :-
    functor(Goal, Name, Arity),
    builtin(Module, Name, Arity),
    !.

%!  safe_builtin(?NameArity) is nondet.
%
%   A built-in a rule file may call: the allow-list and the meta-calls
%   (the rule checker suggests them for a misspelt call).
safe_builtin(Name/Arity) :- builtin(_, Name, Arity).
safe_builtin(PI) :- meta_builtin(PI).

%!  forbidden_goal(+Goal) is semidet.
%
%   Goal names a predicate SWI-Prolog defines that is not on the allow-list:
%   a rule file calling it is rejected at load.
forbidden_goal(Goal) :-
    \+ builtin_goal(Goal, _),
    functor(Goal, Name, Arity),
    \+ meta_builtin(Name/Arity),
    (   predicate_property(system:Goal, defined)
    ->  true
    ;   known_library_goal(Name, Arity)
    ).

known_library_goal(Name, Arity) :-
    memberchk(Name/Arity,
              [ shell/1, shell/2, shell/0, process_create/3, open/3, open/4,
                consult/1, ensure_loaded/1, use_module/1, use_module/2,
                load_files/2, assert/1, asserta/1, assertz/1, retract/1,
                retractall/1, abolish/1, halt/0, halt/1, http_open/3,
                tcp_connect/2, tcp_connect/3, delete_file/1, rename_file/2,
                tmp_file/2, exists_file/1, read_term/2, read/1, write/1,
                writeln/1, print/1, format/1, format/2, format/3, nl/0,
                setenv/2, unsetenv/1, getenv/2, thread_create/3,
                set_prolog_flag/2, op/3, (dynamic)/1, (table)/1, call_cleanup/2,
                catch/3, throw/1, setup_call_cleanup/3, apply/2, ignore/1,
                once/1, maplist/2, maplist/3, maplist/4, foldl/4, foldl/6,
                include/3, exclude/3, partition/4, nb_setval/2, b_setval/2,
                nb_getval/2, b_getval/2, recorda/3, recordz/3, erase/1,
                flag/3, tab/1, see/1, tell/1, told/0
              ]).

%!  reserved_head(+Head) is semidet.
%
%   A rule file may not define control constructs or built-ins other than
%   the list utilities (which ProbLog programs often define themselves).
reserved_head(Head) :-
    functor(Head, Name, Arity),
    (   meta_builtin(Name/Arity)
    ->  true
    ;   builtin(system, Name, Arity)
    ->  true
    ;   memberchk(Name/Arity, [query/1, evidence/1, evidence/2, (::)/2, (:-)/1, (:-)/2])
    ->  true
    ;   \+ builtin(lists, Name, Arity),
        predicate_property(system:Head, defined),
        predicate_property(system:Head, iso)
    ).
