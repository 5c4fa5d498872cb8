% Expected:
%   two_different: 0.35000000000000003
%   is_a: 0.5
%   not_a: 0.58
%   same(b,b): 0.4
%
% \= (not unifiable), == and \== (identity) on bound terms.
0.5::p(a).
0.4::p(b).
0.3::p(c).
two_different :- p(X), p(Y), X \= Y.
is_a :- p(X), X == a.
not_a :- p(X), X \== a.
same(X,Y) :- p(X), p(Y), X = Y.
query(two_different).
query(is_a).
query(not_a).
query(same(b,b)).
