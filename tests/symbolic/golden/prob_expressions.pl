% Expected:
%   six: 0.16666666666666669
%   a: 0.25
%   b: 0.7
%   c: 0.30000000000000004
%   d(x): 0.6666666666666666
%
% Probabilities written as arithmetic expressions.
1/6::six.
0.5*0.5::a.
1-0.3::b.
0.1+0.2::c.
2/3::d(x).
query(six).
query(a).
query(b).
query(c).
query(d(x)).
