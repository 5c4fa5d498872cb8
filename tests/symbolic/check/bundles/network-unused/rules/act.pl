0.2::high_risk.
act(treat) :- high_risk.
act(watch) :- \+ high_risk.
