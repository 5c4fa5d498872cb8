% Expect nothing: a clean program with rule metadata, queries and evidence.
person(ann).
person(bob).
friend(ann, bob).

%! id: stress
%! text: Everybody is stressed with probability 0.3
0.3::stress(X) :- person(X).

%! id: influence
0.2::influences(X, Y) :- friend(X, Y).

%! id: smokes_stress
%! text: Stress makes people smoke
%! source: Smokers example, ProbLog tutorial
smokes(X) :- stress(X).

%! id: smokes_friends
%! text: Friends influence each other
smokes(X) :- friend(X, Y), influences(Y, X), smokes(Y).

%! id: healthy
healthy(X) :- person(X), \+ smokes(X).

0.4::asthma(X) :- smokes(X).

evidence(asthma(bob), false).
query(smokes(ann)).
query(smokes(bob)).
query(healthy(_)).
