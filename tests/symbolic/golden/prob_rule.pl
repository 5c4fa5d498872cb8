% Expected:
%   h(1): 0.7
%   h(2): 0.41
%
% Probabilistic rules: 0.7::h(X) :- b(X) adds an independent 0.7 choice per ground instance.
b(1).
0.5::b(2).
0.7::h(X) :- b(X).
0.4::h(X) :- b(X), X > 1.
query(h(1)).
query(h(2)).
