% Recommendations: what follows the aspirate, given the findings and the patient's risk.
%
% The three recommendations exclude each other and cover every case: biopsy when the finding is
% suspicious; otherwise short-interval follow-up at elevated risk, routine screening without
% it. Their probabilities add up to 1. The engine then weighs them by what each error costs
% (bundle.toml [decision]: a missed or delayed cancer costs four unneeded biopsies) and refers
% the case to a clinician when the rules give the least costly recommendation less than 0.6
% (§5.4).
%
% The guideline cited is illustrative, written for this example; not medical advice. The
% residual suspicions (0.1, 0.05) are illustrative weights, not published rates.
% External: age/2 (case record). Uses malignant_cytology/0, benign_cytology/0 (findings.pl)
% and high_risk/0, elevated_risk/0 (risk.pl). Defined here: suspicious_finding/0, recommend/1.

%! id: suspicious_malignant_cytology
%! text: A malignant-looking aspirate is a suspicious finding
%! source: Breast Diagnostic Guideline (illustrative), §4.1
suspicious_finding :- malignant_cytology.

%! id: residual_suspicion_high_risk
%! text: In a patient at high risk, a benign-looking aspirate does not rule out cancer: it remains suspicious with probability 0.1
%! source: Breast Diagnostic Guideline (illustrative), §4.2
0.1::suspicious_finding :- benign_cytology, high_risk.

%! id: residual_suspicion_age
%! text: From age 50, a benign-looking aspirate remains suspicious with probability 0.05
%! source: Breast Diagnostic Guideline (illustrative), §4.3
0.05::suspicious_finding :- benign_cytology, age(case, Age), Age >= 50.

%! id: biopsy_suspicious
%! text: A suspicious finding warrants a core-needle biopsy
%! source: Breast Diagnostic Guideline (illustrative), §5.1
recommend(biopsy) :- suspicious_finding.

%! id: follow_up_elevated_risk
%! text: Without a suspicious finding, a patient at elevated risk returns for examination and imaging after 6 months
%! source: Breast Diagnostic Guideline (illustrative), §5.2
recommend(short_interval_follow_up) :- \+ suspicious_finding, elevated_risk.

%! id: routine_screening
%! text: Without a suspicious finding or elevated risk, the patient returns to routine screening
%! source: Breast Diagnostic Guideline (illustrative), §5.3
recommend(routine_screening) :- \+ suspicious_finding, \+ elevated_risk.
