% Expected:
%   c: 0.41999999999999993
%   d: 0.5800000000000001
%   e: 0.41999999999999993
%   f: 0.18000000000000002
%
% Nested negation: \+ over a predicate whose definition itself uses \+.
0.4::a.
0.7::b.
c :- \+ a, b.
d :- \+ c.
e :- \+ d, b.
f :- \+ e, \+ a.
query(c).
query(d).
query(e).
query(f).
