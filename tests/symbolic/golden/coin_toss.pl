% Expected:
%   someheads: 0.9744
%   allheads: 0.1296
%   tails(c2): 0.4
%
% Tossing four coins (ProbLog tutorial): heads/tails AD per coin, some/all heads.
coin(c1).
coin(c2).
coin(c3).
coin(c4).
0.6::heads(C); 0.4::tails(C) :- coin(C).
someheads :- heads(_).
allheads :- heads(c1), heads(c2), heads(c3), heads(c4).
query(someheads).
query(allheads).
query(tails(c2)).
