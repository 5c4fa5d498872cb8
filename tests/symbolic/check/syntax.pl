% Expect: syntax 7:24
% Expect: syntax 8:12
% Expect: syntax 9:1
% Expect: undefined 11:19
% Three syntax errors, all reported; the clauses after them are still checked.
edge(a, b).
path(X, Y) :- edge(X, Y.
path(X, Y) edge(X, Z), path(Z, Y).
) :- edge.
0.5::ok(a).
fine(X) :- ok(X), egde(X, _).
query(fine(a)).
