% Expected error: InconsistentEvidenceError
%
% Inconsistent evidence: two heads of one annotated disjunction are mutually exclusive.
0.5::color(red); 0.5::color(blue).
evidence(color(red), true).
evidence(color(blue), true).
query(color(red)).
