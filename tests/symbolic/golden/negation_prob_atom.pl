% Expected:
%   dry: 0.7000000000000001
%   comfy: 0.28
%
% Negation of probabilistic atoms.
0.3::rain.
0.6::cold.
dry :- \+ rain.
comfy :- \+ rain, \+ cold.
query(dry).
query(comfy).
