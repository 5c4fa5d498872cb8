% Expected:
%   ok(1): 0.3
%   ok(5): 0.8
%   size(1,small): 1.0
%   size(5,big): 1.0
% (values computed by problog on the equivalent (C, T ; \+ C, E) form,
%  because problog 2.3.0 has no ->/2)
%
% If-then-else (C -> T ; E) with deterministic ground conditions.
n(1).
n(5).
0.3::low_ok.
0.8::high_ok.
ok(X) :- n(X), (X < 3 -> low_ok ; high_ok).
size(X, S) :- n(X), (X > 2 -> S = big ; S = small).
query(ok(1)).
query(ok(5)).
query(size(_,_)).
