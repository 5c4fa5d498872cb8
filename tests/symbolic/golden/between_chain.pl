% Expected:
%   reach(1,6): 0.3276800000000001
%   reach(2,4): 0.64
%   reach(6,3): 0.06400000000000002
%
% A chain 1->2->...->6 built with between/3 and arithmetic; reachability along it.
0.8::link(N,M) :- between(1,5,N), M is N + 1.
0.1::link(6,1).
reach(X,Y) :- link(X,Y).
reach(X,Y) :- link(X,Z), reach(Z,Y).
query(reach(1,6)).
query(reach(2,4)).
query(reach(6,3)).
