% Expected:
%   q(a): 0.4
%   p(a): 0.4
%
% False evidence on an atom with no derivation is consistent and changes nothing.
0.4::p(a).
q(X) :- p(X).
evidence(q(b), false).
query(q(a)).
query(p(a)).
