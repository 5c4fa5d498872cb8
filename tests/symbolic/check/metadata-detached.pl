% Expect: metadata-detached 5:1
% A metadata block with a blank line below it belongs to no clause.
0.3::flu.

%! id: fever_rule

0.9::fever :- flu.
query(fever).
