% Expected:
%   size(b1,3): 1.0
%   size(b2,1): 1.0
%   size(b3,0): 1.0
%   heavy(b1): 0.5
%   heavy(b2): 0.0
%
% length/2 on lists stored in facts.
bag(b1, [x,y,z]).
bag(b2, [x]).
bag(b3, []).
size(B,N) :- bag(B,L), length(L,N).
0.5::heavy(B) :- bag(B,L), length(L,N), N > 2.
query(size(_,_)).
query(heavy(b1)).
query(heavy(b2)).
