% Expected:
%   greet('Hello World'): 0.5000000000000001
%   q('Hello World',"str",1.5,-3,f(x)): 0.25
%   p(a-b,[1, 2]): 1.0
%   label('New York'): 0.6
%
% Quoted atoms, strings, floats, negative numbers and compound terms in facts and queries.
0.5::says('Hello World', "str").
0.25::q('Hello World',"str",1.5,-3,f(x)).
greet(Who) :- says(Who, _).
p(a-b, [1,2]).
0.6::label('New York').
query(greet('Hello World')).
query(q(_,_,_,_,_)).
query(p(_,_)).
query(label(_)).
