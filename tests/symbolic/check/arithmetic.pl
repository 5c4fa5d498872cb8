% Expect: arithmetic 6:30
% Expect: arithmetic 7:28
% Atoms and terms that arithmetic cannot evaluate.
n(1).
0.5::on(N) :- n(N).
bigger(M) :- on(N), M is N + one.
small :- on(N), N < max(N, limit(3)).
query(bigger(_)).
query(small).
