% Expected:
%   color(red): 0.19999999999999998
%   color(green): 0.5
%   colored: 0.7000000000000001
%
% Annotated disjunction whose probabilities sum to 0.7: with 0.3 no head is chosen.
0.2::color(red); 0.5::color(green).
colored :- color(_).
query(color(red)).
query(color(green)).
query(colored).
