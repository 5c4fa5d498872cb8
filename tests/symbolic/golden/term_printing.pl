% Expected:
%   t(a-b): 1.0
%   t([1, 2, 3]): 1.0
%   t([a | b]): 1.0
%   t(f(g(x),[y])): 1.0
%   t(-7): 1.0
%   t(2.5): 1.0
%   t(1000.0): 1.0
%   t((a+b)*c): 1.0
%   t(x:y): 1.0
%   t([]): 1.0
%   t('Quoted Atom'): 1.0
%   t("a string"): 1.0
%
% Result keys for structured terms: operators, lists, partial lists, floats, negatives.
t(a-b).
t([1,2,3]).
t([a|b]).
t(f(g(x),[y])).
t(-7).
t(2.5).
t(1.0e3).
t((a+b)*c).
t(x:y).
t([]).
t('Quoted Atom').
t("a string").
query(t(_)).
