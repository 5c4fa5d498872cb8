% Expect: singleton 5:24
% A named variable that occurs once (a typo, or _ was meant); _Y is fine.
friend(ann, bob).
0.3::stress(bob).
lonely(X) :- friend(X, Y), stress(X), friend(X, _Y).
query(lonely(ann)).
