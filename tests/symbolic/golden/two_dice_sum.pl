% Expected:
%   sum(2): 0.02777777777777777
%   sum(3): 0.05555555555555554
%   sum(4): 0.08333333333333333
%   sum(5): 0.11111111111111109
%   sum(6): 0.13888888888888887
%   sum(7): 0.1666666666666666
%   sum(8): 0.13888888888888887
%   sum(9): 0.11111111111111109
%   sum(10): 0.08333333333333333
%   sum(11): 0.05555555555555554
%   sum(12): 0.02777777777777777
%   double: 0.16666666666666669
%
% Two fair dice as annotated disjunctions; distribution of their sum via is/2.
1/6::one(1); 1/6::one(2); 1/6::one(3); 1/6::one(4); 1/6::one(5); 1/6::one(6).
1/6::two(1); 1/6::two(2); 1/6::two(3); 1/6::two(4); 1/6::two(5); 1/6::two(6).
sum(S) :- one(A), two(B), S is A + B.
double :- one(X), two(X).
query(sum(_)).
query(double).
