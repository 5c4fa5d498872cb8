% Expected:
%   color(b1,red): 0.19999999999999998
%   color(b2,red): 0.19999999999999998
%   color(b1,green): 0.2999999999999999
%   color(b2,green): 0.2999999999999999
%   color(b1,blue): 0.49999999999999994
%   color(b2,blue): 0.49999999999999994
%   same_color: 0.37999999999999995
%
% Annotated disjunction with three heads and variables: one choice per ground body instance.
ball(b1).
ball(b2).
0.2::color(B,red); 0.3::color(B,green); 0.5::color(B,blue) :- ball(B).
same_color :- color(b1,C), color(b2,C).
query(color(_,_)).
query(same_color).
