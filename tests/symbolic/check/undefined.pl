% Expect: undefined 8:25
% Expect: undefined 9:7
% A call to a predicate the file does not define, and a query of one.
person(ann).
person(bob).
0.3::smoker(ann).
0.4::smoker(bob).
cancer(X) :- person(X), smokes(X).
query(cancer_risk(ann)).
query(cancer(ann)).
query(smoker(bob)).
