% Expected:
%   all_ok([a, b, c]): 0.21
%   any_ok([a, b, c]): 0.9400000000000001
%   count([a, b, c],3): 0.21
%   count([a, b, c],2): 0.44
%   count([a, b, c],1): 0.29
%   count([a, b, c],0): 0.06
%
% Recursion over lists: all/any/count of probabilistic facts over list elements.
0.5::ok(a).
0.6::ok(b).
0.7::ok(c).
all_ok([]).
all_ok([X|Xs]) :- ok(X), all_ok(Xs).
any_ok([X|_]) :- ok(X).
any_ok([_|Xs]) :- any_ok(Xs).
count([], 0).
count([X|Xs], N) :- count(Xs, N0), (ok(X), N is N0 + 1 ; \+ ok(X), N = N0).
query(all_ok([a,b,c])).
query(any_ok([a,b,c])).
query(count([a,b,c],_)).
