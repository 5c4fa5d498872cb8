% Expect: not-stratified 7:14
% A cycle through negation: win/1 calls \+ win/1 (through move/2 and reach/1).
0.5::move(a, b).
0.5::move(b, a).
reach(X) :- move(_, X).
reach(X) :- win(X).
win(X) :- \+ lose(X), reach(X).
lose(X) :- move(X, Y), win(Y).
query(win(a)).
