% Expected error: InconsistentEvidenceError
%
% Inconsistent evidence: an AD of mass exactly 1 (0.8+0.1+0.1) always picks a head.
0.8::pick(a); 0.1::pick(b); 0.1::pick(c).
0.7::other.
0.4::more.
picked :- pick(_).
evidence(picked, false).
query(other).
query(more).
