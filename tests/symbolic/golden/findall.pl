% Expected:
%   names([apple, pear, plum]): 1.0
%   total(10): 1.0
%   cheap_sale: 0.4
%
% findall/3 over deterministic goals, combined with probabilistic facts.
item(apple, 3).
item(pear, 5).
item(plum, 2).
names(L) :- findall(N, item(N,_), L).
sum([], 0).
sum([X|Xs], S) :- sum(Xs, S0), S is S0 + X.
total(T) :- findall(P, item(_,P), Ps), sum(Ps, T).
0.4::sale(apple).
0.7::sale(pear).
cheap_sale :- findall(I, (item(I,P), P < 4), Is), member_of(I, Is), sale(I).
member_of(X, [X|_]).
member_of(X, [_|T]) :- member_of(X, T).
query(names(_)).
query(total(_)).
query(cheap_sale).
