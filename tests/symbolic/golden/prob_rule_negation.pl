% Expected:
%   walk: 0.4580000000000001
%
% A probabilistic rule whose body contains negation.
0.4::busy.
0.3::tired.
0.9::walk :- \+ busy, \+ tired.
0.2::walk :- busy.
query(walk).
