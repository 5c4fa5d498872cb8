% Expected:
%   split([a]): 1.0
%   kept: 0.6
%   any_kept: 0.8
%
% :- use_module(library(lists)) with member/2 and append/3.
:- use_module(library(lists)).
0.5::keep(a).
0.6::keep(b).
split(L) :- append(X, Y, [a,b]), X \= [], Y \= [], L = X.
kept :- append(_, [Z], [a,b]), keep(Z).
any_kept :- member(X, [a,b]), keep(X).
query(split(_)).
query(kept).
query(any_kept).
