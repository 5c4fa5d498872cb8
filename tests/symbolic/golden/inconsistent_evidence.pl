% Expected error: InconsistentEvidenceError
%
% Inconsistent evidence: b holds only if a holds, yet b is true and a is false.
0.3::a.
b :- a.
evidence(b, true).
evidence(a, false).
query(a).
