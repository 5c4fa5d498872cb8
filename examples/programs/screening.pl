% A small screening decision with rule metadata: `nesy explain` shows these ids, texts and sources.
% (An illustration of the rule language, not medical advice.)

age(ann, 52).
age(bob, 35).
0.7::suspicious_cytology(ann).
0.2::suspicious_cytology(bob).
0.3::family_history(ann).
0.6::family_history(bob).
0.1::recent_biopsy(ann).

%! id: over_40
%! text: The patient is over 40
over_40(P) :- age(P, A), A > 40.

%! id: high_risk_history
%! text: A family history of breast cancer raises the risk
%! source: Screening guideline (illustrative), section 2.1
0.6::high_risk(P) :- family_history(P).

%! id: biopsy_cytology
%! text: Suspicious cytology in a patient over 40 warrants a biopsy
%! source: Screening guideline (illustrative), section 4.2
biopsy(P) :- suspicious_cytology(P), over_40(P), \+ recent_biopsy(P).

%! id: biopsy_history
%! text: Suspicious cytology with a high-risk history warrants a biopsy at any age
%! source: Screening guideline (illustrative), section 4.3
0.9::biopsy(P) :- suspicious_cytology(P), high_risk(P).

query(biopsy(ann)).
query(biopsy(bob)).
