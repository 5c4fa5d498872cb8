% Expected:
%   path(a,a): 0.5
%   path(a,b): 0.6
%   path(b,a): 0.0
%   p: 0.3
%
% Self-loops: edge(a,a) in a graph, and a rule p :- p that must not loop or add probability.
0.5::edge(a,a).
0.6::edge(a,b).
0.7::edge(b,b).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
0.3::q.
p :- p.
p :- q.
query(path(a,a)).
query(path(a,b)).
query(path(b,a)).
query(p).
