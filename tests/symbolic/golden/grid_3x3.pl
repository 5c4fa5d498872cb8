% Expected:
%   reach(c(1,1),c(3,3)): 0.36857699999999993
%   reach(c(1,1),c(2,2)): 0.574632
%   reach(c(1,3),c(3,1)): 0.36857699999999993
%
% 3x3 grid with probabilistic undirected links between neighbours (built with between/3).
0.6::right(c(I,J), c(I,J1)) :- between(1,3,I), between(1,2,J), J1 is J + 1.
0.5::down(c(I,J), c(I1,J)) :- between(1,2,I), between(1,3,J), I1 is I + 1.
link(X,Y) :- right(X,Y).
link(X,Y) :- down(X,Y).
edge(X,Y) :- link(X,Y).
edge(X,Y) :- link(Y,X).
reach(X,Y) :- edge(X,Y).
reach(X,Y) :- edge(X,Z), reach(Z,Y).
query(reach(c(1,1),c(3,3))).
query(reach(c(1,1),c(2,2))).
query(reach(c(1,3),c(3,1))).
