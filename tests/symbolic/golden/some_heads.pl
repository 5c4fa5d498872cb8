% Expected:
%   someHeads: 0.8
%
% The "some heads" program from the ProbLog tutorial: two biased coins.
0.5::heads1.
0.6::heads2.
someHeads :- heads1.
someHeads :- heads2.
query(someHeads).
