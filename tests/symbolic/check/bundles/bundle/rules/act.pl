act(treat).
act(watch).
