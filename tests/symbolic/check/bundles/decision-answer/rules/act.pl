0.4::sick.
0.5::old.
act(treat) :- sick.
act(wacth) :- \+ sick, old.
act(X) :- \+ sick, \+ old, X = watch.
