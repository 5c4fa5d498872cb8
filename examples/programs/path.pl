% Probabilistic reachability in a directed graph with a cycle (a -> b -> c -> a).
0.6::edge(a,b).
0.5::edge(b,c).
0.7::edge(c,a).
0.3::edge(a,c).
0.8::edge(c,d).

path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).

query(path(a,_)).
