% Expected:
%   anc(ann,dan): 1.0
%   anc(dan,ann): 0.0
%   anc(bob,cid): 1.0
%   anc(bob,dan): 1.0
%
% A purely deterministic program: answers have probability 1 or 0.
parent(ann,bob).
parent(bob,cid).
parent(cid,dan).
anc(X,Y) :- parent(X,Y).
anc(X,Y) :- parent(X,Z), anc(Z,Y).
query(anc(ann,dan)).
query(anc(dan,ann)).
query(anc(bob,_)).
