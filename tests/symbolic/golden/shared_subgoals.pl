% Expected:
%   ab: 0.2
%   bc: 0.12000000000000001
%   x: 0.26
%   y: 0.14000000000000004
%
% Several queries that share sub-goals (the same ground atoms occur under several queries).
0.5::a.
0.4::b.
0.3::c.
ab :- a, b.
bc :- b, c.
x :- ab.
x :- bc.
y :- ab, \+ c.
query(ab).
query(bc).
query(x).
query(y).
