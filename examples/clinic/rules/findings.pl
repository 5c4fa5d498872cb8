% Findings: what the fine-needle aspirate (FNA) shows.
%
% The calibrated cytology model (bundle.toml [networks.cytology]) reads the 30 nuclear
% measurements of the case's aspirate, the input `fna`, and gives the probability that it looks
% malignant or benign: the two heads of one annotated disjunction.
%
% The guideline cited is illustrative, written for this example; not medical advice.
% External: none; defined here: cytology/2, malignant_cytology/0, benign_cytology/0.

%! id: cytology_reading
%! text: The calibrated cytology model reads the aspirate's nuclear measurements as malignant-looking or benign-looking, with a probability for each
%! source: Breast Diagnostic Guideline (illustrative), §2.1
nn(cytology, [X], Y, [malignant, benign]) :: cytology(X, Y).

%! id: malignant_cytology
%! text: The aspirate looks malignant
%! source: Breast Diagnostic Guideline (illustrative), §2.1
malignant_cytology :- cytology(fna, malignant).

%! id: benign_cytology
%! text: The aspirate looks benign
%! source: Breast Diagnostic Guideline (illustrative), §2.1
benign_cytology :- cytology(fna, benign).
