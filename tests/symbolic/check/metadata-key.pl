% Expect: metadata-key 5:1
% Expect: metadata-key 10:1
% An unknown metadata key, and an id with spaces.
0.3::flu.
%! author: somebody
%! id: flu_fever
0.9::fever :- flu.
0.2::cold.
%! text: Colds cause fever too
%! id: cold fever
0.3::fever :- cold.
query(fever).
