% Expected:
%   smokes(angelika): 0.34199999999999997
%   smokes(joris): 0.42301295999999994
%   smokes(jonas): 0.3
%   smokes(dimitar): 0.3
%   asthma(joris): 0.16920518400000004
%
% Smokers/friends (ProbLog tutorial): stress and influences as probabilistic rules.
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
0.4::asthma(X) :- smokes(X).
query(smokes(_)).
query(asthma(joris)).
