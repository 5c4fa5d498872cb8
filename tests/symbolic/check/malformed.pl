% Expect: malformed 6:1
% Expect: malformed 7:1
% Expect: malformed 8:7
% Expect: malformed 9:13
% Clauses that are not clauses: a module-qualified head, a number head, a bad query.
0.3:a.
42.
query(17).
evidence(a, maybe).
0.5::a.
query(a).
