% Expected:
%   a: 1.0
%   b: 0.0
%   c: 1.0
%
% A query atom that is itself evidence is 1 (true evidence) or 0 (false evidence).
0.3::a.
0.6::b.
c :- a ; b.
evidence(a, true).
evidence(b, false).
query(a).
query(b).
query(c).
