% Expected:
%   connected(a,d): 0.31800000000000006
%   connected(d,a): 0.31800000000000006
%   connected(b,b): 0.92
%
% Undirected probabilistic links: edge/2 is the symmetric closure of link/2.
0.8::link(a,b).
0.6::link(b,c).
0.5::link(c,d).
0.3::link(a,c).
edge(X,Y) :- link(X,Y).
edge(X,Y) :- link(Y,X).
connected(X,Y) :- edge(X,Y).
connected(X,Y) :- edge(X,Z), connected(Z,Y).
query(connected(a,d)).
query(connected(d,a)).
query(connected(b,b)).
