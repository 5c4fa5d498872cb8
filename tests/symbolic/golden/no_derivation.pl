% Expected:
%   p(b): 0.0
%   q(c): 0.0
%   r(a): 0.0
%   q(a): 0.5
%
% Query atoms of defined predicates that have no derivation get probability 0.
0.5::p(a).
q(X) :- p(X).
r(X) :- q(X), X = b.
query(p(b)).
query(q(c)).
query(r(a)).
query(q(a)).
