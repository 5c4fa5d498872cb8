% Expected:
%   path(a,b): 0.6
%   path(a,c): 0.58
%   path(a,d): 0.5220000000000001
%   edge(b,c): 0.5
%   edge(a,c): 0.4
%
% Non-ground queries: one result per answer substitution found by grounding.
0.6::edge(a,b).
0.5::edge(b,c).
0.4::edge(a,c).
0.9::edge(c,d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
query(path(a,_)).
query(edge(_,c)).
