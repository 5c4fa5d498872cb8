% Expect: prob-aggregate 8:26
% findall/3 over probabilistic facts: only deterministic goals may be collected.
item(apple, 3).
item(pear, 5).
0.4::sale(apple).
0.7::sale(pear).
names(L) :- findall(N, item(N, _), L).
on_sale(L) :- findall(N, sale(N), L).
query(names(_)).
query(on_sale(_)).
