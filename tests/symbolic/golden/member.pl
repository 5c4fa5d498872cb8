% Expected:
%   pick(green): 0.5
%   picked_warm: 0.5
%   is_primary(red): 0.5
%   is_primary(blue): 0.5
%
% member/2 from library(lists) both to enumerate and to test membership.
:- use_module(library(lists)).
0.5::pick(X) :- member(X, [red, green, blue]).
picked_warm :- member(C, [red, orange]), pick(C).
is_primary(X) :- pick(X), member(X, [red, blue, yellow]).
query(pick(green)).
query(picked_warm).
query(is_primary(_)).
