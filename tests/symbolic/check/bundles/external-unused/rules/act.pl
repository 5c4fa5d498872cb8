0.2::high_risk.
act(treat) :- smoking(case), high_risk.
act(watch) :- \+ high_risk.
