% Expected:
%   a: 0.58
%   e: 0.47000000000000003
%
% Disjunction (;) in rule bodies.
0.3::b.
0.4::c.
0.5::d.
a :- b ; c.
e :- (b, c) ; (\+ b, d).
query(a).
query(e).
