% Expect: ad-mass 5:1
% The heads of an annotated disjunction must sum to at most 1.
0.5::weather(sun); 0.3::weather(rain).
0.3::die(1); 0.3::die(2); 0.3::die(3) :- weather(sun).
0.6::coin(heads); 0.6::coin(tails).
query(die(1)).
query(coin(heads)).
