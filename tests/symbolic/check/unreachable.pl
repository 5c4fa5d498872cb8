% Expect: unreachable 7:1
% Expect: unreachable 8:1
% Clauses that no query or evidence uses.
0.3::rain.
0.5::sprinkler.
wet :- rain.
slippery :- wet, cold.
0.2::cold.
evidence(wet, true).
query(sprinkler).
