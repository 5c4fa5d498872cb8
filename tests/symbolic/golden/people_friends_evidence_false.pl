% Expected:
%   smokes(joris): 0.34199999999999997
%   smokes(angelika): 0.3
%   stress(jonas): 0.0
%
% People/friends smoking network with negative evidence on one person and one influence.
person(angelika).
person(joris).
person(jonas).
person(dimitar).
friend(joris,jonas).
friend(joris,angelika).
friend(joris,dimitar).
friend(angelika,jonas).
0.3::stress(X) :- person(X).
0.2::influences(X,Y) :- person(X), person(Y).
smokes(X) :- stress(X).
smokes(X) :- friend(X,Y), influences(Y,X), smokes(Y).
evidence(smokes(jonas), false).
evidence(influences(dimitar,joris), false).
query(smokes(joris)).
query(smokes(angelika)).
query(stress(jonas)).
