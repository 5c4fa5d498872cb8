% Expected:
%   fever: 0.50885
%
% Several probabilistic rules for one head combine as a noisy-or.
0.5::flu.
0.2::cold.
0.9::fever :- flu.
0.3::fever :- cold.
0.05::fever.
query(fever).
