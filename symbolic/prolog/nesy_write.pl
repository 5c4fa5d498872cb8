:- module(nesy_write,
          [ problog_string/2           % +Term, -String
          ]).

/** <module> Writing terms the way ProbLog writes them

ProbLog prints a term with quoted atoms, no space after the commas between
arguments, and ", " between list elements: `p(a,[1, 2])`.  Result keys use
this form so programs give the same keys as the problog command.
*/

%!  problog_string(+Term, -String:string) is det.
problog_string(Term, String) :-
    with_output_to(string(String), write_pl(Term)).

write_pl(T) :- var(T), !, write('_').
write_pl(T) :- string(T), !, writeq(T).
write_pl(T) :- atomic(T), !, writeq(T).
write_pl(T) :- is_list(T), !,
    write('['), write_elements(T), write(']').
write_pl([H|T]) :- !,
    write('['), write_pl(H), write_tail(T), write(']').
write_pl(T) :-
    compound_name_arguments(T, Name, Args),
    (   Args = [A, B], current_op(_, Type, Name), infix(Type)
    ->  write_operand(A), write_op(Name), write_operand(B)
    ;   Args = [A], current_op(_, Type, Name), prefix(Type), Name \== (-), Name \== (+)
    ->  write_op(Name), write_operand(A)
    ;   writeq(Name), write('('), write_args(Args), write(')')
    ).

infix(xfx). infix(xfy). infix(yfx).
prefix(fy). prefix(fx).

write_op(Name) :-
    (   atom_codes(Name, [C|_]), code_type(C, alpha)
    ->  format(' ~w ', [Name])
    ;   Name == (',')
    ->  write(',')
    ;   write(Name)
    ).

write_operand(T) :-
    (   compound(T), \+ is_list(T), T \= [_|_],
        compound_name_arity(T, Name, 2), current_op(_, _, Name)
    ->  write('('), write_pl(T), write(')')
    ;   write_pl(T)
    ).

write_elements([]).
write_elements([X]) :- !, write_pl(X).
write_elements([X|Xs]) :- write_pl(X), write(', '), write_elements(Xs).

write_tail(T) :- var(T), !, write(' | _').
write_tail([]) :- !.
write_tail([H|T]) :- !, write(', '), write_pl(H), write_tail(T).
write_tail(T) :- write(' | '), write_pl(T).

write_args([A]) :- !, write_pl(A).
write_args([A|As]) :- write_pl(A), write(','), write_args(As).
