% Expected:
%   source(a): 1.0
%   source(b): 0.28
%   source(c): 0.5
%
% Negation through a helper predicate; the node is bound before the negated call.
node(a).
node(b).
node(c).
0.6::edge(a,b).
0.5::edge(b,c).
0.3::edge(c,b).
has_in(X) :- edge(_,X).
source(X) :- node(X), \+ has_in(X).
query(source(a)).
query(source(b)).
query(source(c)).
