% Expected:
%   burglary: 0.7900459418070442
%   earthquake: 0.2085758039816233
%   alarm: 0.7105666156202144
%
% Burglary/earthquake/alarm network with negative evidence: john calls, mary does not.
person(john).
person(mary).
0.7::burglary.
0.2::earthquake.
0.9::alarm :- burglary, earthquake.
0.8::alarm :- burglary, \+ earthquake.
0.1::alarm :- \+ burglary, earthquake.
0.8::calls(X) :- alarm, person(X).
0.1::calls(X) :- \+ alarm, person(X).
evidence(calls(john), true).
evidence(calls(mary), false).
query(burglary).
query(earthquake).
query(alarm).
