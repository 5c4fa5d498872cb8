% Expected:
%   dish(soup): 0.33333333333333337
%   dish(salad): 0.0
%   dish(stew): 0.6666666666666665
%
% Evidence on one head of an annotated disjunction, querying the other heads.
0.2::dish(soup); 0.3::dish(salad); 0.4::dish(stew).
hot :- dish(soup).
hot :- dish(stew).
evidence(hot, true).
query(dish(soup)).
query(dish(salad)).
query(dish(stew)).
