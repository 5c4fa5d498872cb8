0.4::sick.
act(treat) :- sick.
act(watch) :- \+ sick.
