% Expect: forbidden 5:4
% Expect: forbidden 7:9
% Expect: forbidden 7:25
% Goals outside the safe set of built-ins, and a directive that is not allowed.
:- initialization(main).
0.5::a.
b :- a, writeln(hello), shell('rm -rf /').
query(b).
