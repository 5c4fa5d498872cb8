% Expected:
%   grass(soaked): 0.24
%   grass(damp): 0.24
%
% Annotated disjunction with a body: the choice only happens when the body holds.
0.4::rain.
0.6::grass(soaked); 0.3::grass(damp) :- rain.
0.2::grass(damp) :- \+ rain.
query(grass(soaked)).
query(grass(damp)).
