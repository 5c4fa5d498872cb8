% Expect: probability 7:1
% Expect: probability 8:1
% Expect: probability 9:1
% Expect: probability 10:1
% Expect: probability 11:1
% Probabilities outside [0,1], NaN, not a number, learnable, unbound.
1.5::a.
nan::b.
high::c.
t(0.5)::d.
P::e.
query(a).
query(b).
query(c).
query(d).
query(e).
