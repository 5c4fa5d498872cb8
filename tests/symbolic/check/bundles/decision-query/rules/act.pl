0.3::act(treat).
0.7::act(watch).
