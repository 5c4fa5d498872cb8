% Expected:
%   coin(c1): 0.2
%   coin(c2): 0.9
%   both: 0.18000000000000002
%   heavy(w1): 0.3
%   heavy(w2): 0.8
%
% Flexible probabilities: the probability label is a variable bound by the body.
prob(c1, 0.2).
prob(c2, 0.9).
P::coin(C) :- prob(C,P).
weight(w1, 3).
weight(w2, 8).
P::heavy(X) :- weight(X,W), P is W / 10.
both :- coin(c1), coin(c2).
query(coin(c1)).
query(coin(c2)).
query(both).
query(heavy(_)).
