% Expected:
%   a: 0.75
%   b(1): 0.608
%
% Repeated identical probabilistic facts are independent choices (noisy-or).
0.5::a.
0.5::a.
0.3::b(1).
0.3::b(1).
0.2::b(1).
query(a).
query(b(1)).
