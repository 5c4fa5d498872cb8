% Expected:
%   sum(3): 0.004629629629629624
%   sum(10): 0.12499999999999986
%   sum(11): 0.12499999999999986
%   sum(18): 0.004629629629629624
%   at_least_16: 0.046296296296296294
%
% Three dice as one annotated disjunction with a body (one choice per die); sum and conditions.
die(d1).
die(d2).
die(d3).
1/6::roll(D,1); 1/6::roll(D,2); 1/6::roll(D,3); 1/6::roll(D,4); 1/6::roll(D,5); 1/6::roll(D,6) :- die(D).
sum(S) :- roll(d1,A), roll(d2,B), roll(d3,C), S is A + B + C.
at_least_16 :- sum(S), S >= 16.
query(sum(3)).
query(sum(10)).
query(sum(11)).
query(sum(18)).
query(at_least_16).
