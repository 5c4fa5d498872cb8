% Expect: unsafe-negation 8:27
% A variable that the negation shares with the rest of the clause must be bound first.
person(ann).
person(bob).
0.4::friend(ann, bob).
0.2::rich(bob).
ok(X) :- person(X), \+ (friend(X, Y), rich(Y)).
poor_friend(X) :- \+ rich(Y), friend(X, Y).
query(ok(ann)).
query(poor_friend(ann)).
