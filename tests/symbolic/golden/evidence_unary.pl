% Expected:
%   rain: 0.4615384615384615
%   sprinkler: 0.7692307692307693
%   wet: 1.0
%
% evidence/1 (shorthand for evidence(A, true)) on a derived atom.
0.3::rain.
0.5::sprinkler.
wet :- rain.
wet :- sprinkler.
evidence(wet).
query(rain).
query(sprinkler).
query(wet).
