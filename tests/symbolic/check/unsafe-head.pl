% Expect: unsafe-head 7:14
% Expect: unsafe-head 8:9 warning
% Expect: unsafe-head 9:8
% Head variables the body does not bind: an error for probabilistic clauses.
node(a).
node(b).
0.5::link(X, Y) :- node(X).
same(X, Y, Y) :- node(X).
0.3::p(X).
member_of(X, [X|_]).
query(link(a, b)).
query(same(a, b, b)).
query(p(a)).
query(member_of(a, [a])).
