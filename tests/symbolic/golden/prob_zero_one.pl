% Expected:
%   a: 0.0
%   b: 1.0
%   c: 0.0
%   d: 1.0
%   e: 0.0
%   f: 1.0
%   g: 1.0
%
% Probabilistic facts with probability 0 and 1 (written as floats and integers).
0.0::a.
1.0::b.
0::c.
1::d.
e :- a.
f :- b, \+ a.
g :- c ; d.
query(a).
query(b).
query(c).
query(d).
query(e).
query(f).
query(g).
