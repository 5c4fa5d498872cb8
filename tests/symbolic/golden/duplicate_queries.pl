% Expected:
%   a(1): 0.3
%   a(2): 0.6
%
% Overlapping query/1 facts: identical results appear once in the answer.
0.3::a(1).
0.6::a(2).
query(a(_)).
query(a(1)).
query(a(1)).
