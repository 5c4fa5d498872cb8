% Expected:
%   x: 0.625
%   b: 0.75
%   c: 0.625
%
% Several evidence atoms at once, both true and false.
0.3::a.
0.6::b.
0.5::c.
x :- a, b.
x :- c.
y :- b ; c.
evidence(y, true).
evidence(a, false).
query(x).
query(b).
query(c).
