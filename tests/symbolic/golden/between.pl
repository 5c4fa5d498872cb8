% Expected:
%   light(2): 0.3
%   any_light: 0.6569999999999999
%   adjacent_lights: 0.15299999999999997
%
% between/3 enumerates integers; combined with a probabilistic rule per integer.
0.3::light(N) :- between(1,3,N).
any_light :- between(1,3,N), light(N).
adjacent_lights :- between(1,2,N), M is N + 1, light(N), light(M).
query(light(2)).
query(any_light).
query(adjacent_lights).
