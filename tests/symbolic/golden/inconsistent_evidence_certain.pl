% Expected error: InconsistentEvidenceError
%
% Inconsistent evidence: false evidence on a certain (deterministic) fact.
a.
0.5::b.
evidence(a, false).
query(b).
