% Expected:
%   weather(sunny): 0.4777830864787387
%   weather(cloudy): 0.21962095875139356
%   weather(rainy): 0.3025959547698679
%   sprinkler: 0.5763656633221853
%   rain: 0.45532728141423795
%
% Weather/sprinkler Bayesian network using annotated disjunctions; evidence that grass is wet.
0.5::weather(sunny); 0.3::weather(cloudy); 0.2::weather(rainy).
0.6::sprinkler :- weather(sunny).
0.2::sprinkler :- weather(cloudy).
0.3::rain :- weather(cloudy).
0.9::rain :- weather(rainy).
0.9::wet :- sprinkler.
0.95::wet :- rain.
evidence(wet, true).
query(weather(sunny)).
query(weather(cloudy)).
query(weather(rainy)).
query(sprinkler).
query(rain).
