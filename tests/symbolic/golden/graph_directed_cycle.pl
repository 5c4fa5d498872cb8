% Expected:
%   path(a,d): 0.3360000000000001
%   path(a,a): 0.168
%   path(d,c): 0.08000000000000002
%   path(c,b): 0.4548
%
% Directed probabilistic graph with cycles (a->b->c->a, b->d->b); reachability by recursion.
0.6::edge(a,b).
0.4::edge(b,c).
0.7::edge(c,a).
0.5::edge(b,d).
0.3::edge(c,d).
0.2::edge(d,b).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
query(path(a,d)).
query(path(a,a)).
query(path(d,c)).
query(path(c,b)).
