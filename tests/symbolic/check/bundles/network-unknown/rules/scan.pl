nn(riks, [X], Y, [low, high]) :: risk(X, Y).
act(treat) :- risk(scan, high).
act(watch) :- risk(scan, low).
