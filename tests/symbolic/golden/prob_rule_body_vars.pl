% Expected:
%   h(a): 0.992
%   h(b): 0.8
%   h(c): 0.64
%
% 0.8::h(X) :- e(X,Y): Y occurs only in the body, so there is one choice per ground (X,Y).
e(a,1).
e(a,2).
e(a,3).
e(b,1).
0.5::e(c,1).
0.5::e(c,2).
0.8::h(X) :- e(X,Y).
query(h(a)).
query(h(b)).
query(h(c)).
