% Expected:
%   sq(3,9): 1.0
%   half(1.0): 1.0
%   half(2.0): 1.0
%   intdiv(3): 1.0
%   big(3): 1.0
%   big(4): 1.0
%   pair_five: 0.4375
%   not_equal: 0.75
%
% is/2 and arithmetic comparisons; note / on integers yields a float in ProbLog.
n(1).
n(2).
n(3).
n(4).
0.5::on(N) :- n(N).
sq(N,S) :- n(N), S is N * N.
half(H) :- n(N), N mod 2 =:= 0, H is N / 2.
intdiv(Q) :- Q is 7 // 2.
big(N) :- n(N), N * N >= 9.
pair_five :- on(X), on(Y), X < Y, X + Y =:= 5.
not_equal :- on(X), X =\= 2, X =< 3.
query(sq(3,_)).
query(half(_)).
query(intdiv(_)).
query(big(_)).
query(pair_five).
query(not_equal).
