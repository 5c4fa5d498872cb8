% Risk: what the patient's record and the visit say about her risk of breast cancer.
%
% The case record gives family_history(case) (a family history reported at this visit) and
% patient(case, P), which links the case to the patient's record in the knowledge graph. The
% graph gives has_risk_factor(P, F) (possibly with a confidence below 1) and the class of each
% factor, high_risk_factor(F) or moderate_risk_factor(F), inferred from the ontology's
% hierarchy (a BRCA1 variant is a genetic, hence high-risk, factor).
%
% The guideline cited is illustrative, written for this example; not medical advice.
% External: patient/2, family_history/1 (case record); has_risk_factor/2,
% high_risk_factor/1, moderate_risk_factor/1 (knowledge graph).
% Defined here: high_risk/0, elevated_risk/0.

%! id: high_risk_factor
%! text: The patient has a high-risk factor on record: a BRCA1 or BRCA2 variant, atypical hyperplasia or lobular carcinoma in situ on an earlier biopsy, or chest radiation before age 30
%! source: Breast Diagnostic Guideline (illustrative), §3.1
high_risk :- patient(case, P), has_risk_factor(P, F), high_risk_factor(F).

%! id: elevated_risk_high
%! text: A patient at high risk is at elevated risk
%! source: Breast Diagnostic Guideline (illustrative), §3.2
elevated_risk :- high_risk.

%! id: elevated_risk_moderate
%! text: The patient has a moderate risk factor on record: breast cancer in a first-degree relative, or dense breast tissue
%! source: Breast Diagnostic Guideline (illustrative), §3.2
elevated_risk :- patient(case, P), has_risk_factor(P, F), moderate_risk_factor(F).

%! id: elevated_risk_family_history
%! text: The patient reports breast cancer in a first-degree relative at this visit
%! source: Breast Diagnostic Guideline (illustrative), §3.2
elevated_risk :- family_history(case).
