% Expect: unsafe-arithmetic 8:29
% Expect: unsafe-arithmetic 9:11
% Arithmetic on a variable that no earlier goal binds (the head's may be bound by the caller).
n(1).
n(2).
0.5::on(N) :- n(N).
next(N, M) :- n(N), M is N + 1.
total(T) :- on(N), T is N + S, n(S).
big(N) :- X > 3, n(N), n(X).
query(next(1, _)).
query(total(_)).
query(big(1)).
