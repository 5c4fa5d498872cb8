% Expect: redefined 4:1
% A rule file cannot redefine a built-in predicate.
0.5::a.
atom(X) :- X = a.
query(a).
