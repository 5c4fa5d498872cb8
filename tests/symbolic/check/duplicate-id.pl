% Expect: duplicate-id 10:1
% Two clauses with one rule id: explanations could not tell them apart.
0.3::flu.
0.2::cold.
%! id: fever_rule
%! text: Flu causes fever
0.9::fever :- flu.
%! id: fever_rule
%! text: A cold causes fever
0.3::fever :- cold.
query(fever).
