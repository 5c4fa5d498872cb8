% Expected error: InconsistentEvidenceError
%
% Inconsistent evidence: true evidence on an atom that has no derivation at all.
0.4::p(a).
q(X) :- p(X).
evidence(q(b), true).
query(q(a)).
