% Expected:
%   cause1: 0.605263157894737
%   cause2: 0.6546052631578948
%
% Evidence on a derived atom propagates back to its causes.
0.2::cause1.
0.4::cause2.
0.7::effect :- cause1.
0.3::effect :- cause2.
evidence(effect, true).
query(cause1).
query(cause2).
