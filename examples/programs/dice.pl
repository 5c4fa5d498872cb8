% Two fair dice (annotated disjunctions) and the distribution of their sum.
1/6::die(D,1); 1/6::die(D,2); 1/6::die(D,3); 1/6::die(D,4); 1/6::die(D,5); 1/6::die(D,6) :-
    between(1, 2, D).

sum(S) :- die(1,A), die(2,B), S is A+B.
odd_sum :- sum(S), S mod 2 =:= 1.

query(sum(7)).
query(sum(12)).
query(odd_sum).
