% Expected:
%   x: 0.51
%   y: 0.5599999999999999
%
% A positive cycle between two predicates (x depends on y and y on x).
0.3::seed_x.
0.5::seed_y.
0.4::x_link.
0.6::y_link.
x :- seed_x.
x :- y, y_link.
y :- seed_y.
y :- x, x_link.
query(x).
query(y).
